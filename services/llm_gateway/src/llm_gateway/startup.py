"""What llm-gateway logs about itself at startup, and its request-body limit for the server."""

from __future__ import annotations

import os
from typing import Any

from llm_gateway.app import GatewayApp, gateway_settings
from plano_common.config.types import PlanoConfig, Provider

__all__ = ["max_body_bytes", "startup_summary"]

SHOWN_ENTRIES = 12


def max_body_bytes(config: PlanoConfig) -> int:
    """The largest request body the gateway accepts (`PLANO_LLM_MAX_BODY_BYTES`)."""
    return gateway_settings(config, os.environ).max_body_bytes


def startup_summary(config: PlanoConfig, app: Any) -> list[str]:
    """Short lines: upstream models and how they authenticate, aliases, rate limits."""
    providers = [p for p in config.model_providers if not p.internal]
    lines = [f"models: {len(providers)} configured"]
    lines += [f"  {_describe(provider)}" for provider in providers[:SHOWN_ENTRIES]]
    if len(providers) > SHOWN_ENTRIES:
        lines.append(f"  ... and {len(providers) - SHOWN_ENTRIES} more")
    aliases = sorted(config.model_aliases.items())
    if aliases:
        shown = ", ".join(f"{name} -> {target}" for name, target in aliases[:SHOWN_ENTRIES])
        more = f" (+{len(aliases) - SHOWN_ENTRIES} more)" if len(aliases) > SHOWN_ENTRIES else ""
        lines.append(f"aliases: {shown}{more}")
    else:
        lines.append("aliases: none")
    backend = app.settings.ratelimit_backend if isinstance(app, GatewayApp) else "memory"
    lines.append(f"rate limits: {len(config.ratelimits)} rule(s), backend {backend}")
    return lines


def _describe(provider: Provider) -> str:
    if provider.passthrough_auth:
        auth = "client's key"
    elif provider.aws is not None:
        auth = "AWS SigV4"
    elif provider.access_key:
        auth = "configured key"
    else:
        auth = "no key"
    default = ", default" if provider.default else ""
    port = "" if provider.port in (80, 443) else f":{provider.port}"
    upstream = f"{provider.scheme}://{provider.host}{port}"
    return f"{provider.full_model} -> {upstream} ({auth}{default})"
