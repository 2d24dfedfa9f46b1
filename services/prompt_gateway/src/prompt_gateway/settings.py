"""Runtime knobs of the prompt gateway, read from the Plano config and the environment.

| knob | source | default |
|---|---|---|
| function-calling URL | env `PLANO_FUNCTION_CALLING_URL` | http://127.0.0.1:9091/function_calling |
| function-calling timeout | env `PLANO_PROMPT_FC_TIMEOUT` | 30 s |
| egress (LLM) base URL | env `LLM_PROVIDER_ENDPOINT`, else `endpoints.llm_gateway` | :12001 |
| LLM call timeout (whole call incl. stream) | the prompt listener's `timeout` | 300 s |
| developer API timeout | env `PLANO_PROMPT_API_TIMEOUT` | 30 s |
| connect timeout | endpoint `connect_timeout`, else `overrides.upstream_connect_timeout` | 5 s |
| CA bundle for https endpoints | `overrides.upstream_tls_ca_path` | system store |
| jailbreak guard URL | env `PLANO_GUARD_URL` | none: built-in detector |
| guard timeout | env `PLANO_GUARD_TIMEOUT` | 5 s |
| guard unreachable | env `PLANO_GUARD_ON_ERROR` (`closed` or `open`) | closed |
| guard probability threshold | env `PLANO_GUARD_THRESHOLD` (0-1) | 0.5 |
| request body limit | env `PLANO_PROMPT_MAX_BODY_BYTES` | 32 MiB |
| largest upstream body read | env `PLANO_PROMPT_MAX_UPSTREAM_BYTES` | 8 MiB |
| access log destination | env `PLANO_ACCESS_LOG` (`stderr`, a path, `off`) | stderr |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from plano_common.config import durations
from plano_common.config.errors import ConfigError
from plano_common.config.types import PlanoConfig
from plano_common.egress_url import DEFAULT_EGRESS_URL, egress_url
from plano_common.env_knobs import env_int

__all__ = [
    "DEFAULT_EGRESS_URL",
    "DEFAULT_FUNCTION_CALLING_URL",
    "PromptSettings",
    "SettingsError",
    "settings_from",
]

DEFAULT_FUNCTION_CALLING_URL = "http://127.0.0.1:9091/function_calling"
DEFAULT_LISTENER_TIMEOUT = 300.0
MiB = 1024 * 1024


class SettingsError(ValueError):
    """A knob has an unusable value; the message names it."""


@dataclass(frozen=True, slots=True)
class PromptSettings:
    """Everything the prompt gateway needs besides the targets and endpoints."""

    function_calling_url: str = DEFAULT_FUNCTION_CALLING_URL
    function_calling_timeout: float = 30.0
    egress_url: str = DEFAULT_EGRESS_URL
    llm_timeout: float = DEFAULT_LISTENER_TIMEOUT
    api_timeout: float = 30.0
    connect_timeout: float = 5.0
    tls_ca_path: str | None = None
    guard_url: str | None = None
    guard_timeout: float = 5.0
    guard_on_error: Literal["open", "closed"] = "closed"
    guard_threshold: float = 0.5
    max_body_bytes: int = 32 * MiB
    max_upstream_bytes: int = 8 * MiB


def settings_from(config: PlanoConfig, environ: Mapping[str, str] | None = None) -> PromptSettings:
    """Combine the config and the environment into settings; raises `SettingsError`."""
    env = os.environ if environ is None else environ
    listener = config.listener("prompt")
    guard_url = env.get("PLANO_GUARD_URL", "").strip()
    return PromptSettings(
        function_calling_url=_url(env, "PLANO_FUNCTION_CALLING_URL", DEFAULT_FUNCTION_CALLING_URL),
        function_calling_timeout=_seconds(env, "PLANO_PROMPT_FC_TIMEOUT", 30.0),
        egress_url=egress_url(config, env, error=SettingsError),
        llm_timeout=listener.timeout_seconds if listener else DEFAULT_LISTENER_TIMEOUT,
        api_timeout=_seconds(env, "PLANO_PROMPT_API_TIMEOUT", 30.0),
        connect_timeout=config.overrides.upstream_connect_timeout_seconds,
        tls_ca_path=config.overrides.upstream_tls_ca_path,
        guard_url=_url(env, "PLANO_GUARD_URL", "") if guard_url else None,
        guard_timeout=_seconds(env, "PLANO_GUARD_TIMEOUT", 5.0),
        guard_on_error=_policy(env),
        guard_threshold=_threshold(env),
        max_body_bytes=env_int(env, "PLANO_PROMPT_MAX_BODY_BYTES", 32 * MiB, error=SettingsError),
        max_upstream_bytes=env_int(
            env, "PLANO_PROMPT_MAX_UPSTREAM_BYTES", 8 * MiB, error=SettingsError
        ),
    )


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name}: expected an http(s) URL, got {raw[:200]!r}")
    return raw


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return durations.parse_duration(raw, ())
    except ConfigError as exc:
        raise SettingsError(f"{name}: {exc.problem}") from None


def _policy(env: Mapping[str, str]) -> Literal["open", "closed"]:
    raw = env.get("PLANO_GUARD_ON_ERROR", "closed").strip().lower() or "closed"
    if raw == "open":
        return "open"
    if raw == "closed":
        return "closed"
    raise SettingsError(f"PLANO_GUARD_ON_ERROR: expected 'open' or 'closed', got {raw[:40]!r}")


def _threshold(env: Mapping[str, str]) -> float:
    raw = env.get("PLANO_GUARD_THRESHOLD", "").strip()
    if not raw:
        return 0.5
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"PLANO_GUARD_THRESHOLD: expected a number 0-1, got {raw[:40]!r}")
    return value
