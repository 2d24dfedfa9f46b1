"""Runtime knobs of the gateway, read from the Plano config and the environment.

| knob | source | default |
|---|---|---|
| route timeout (whole request incl. stream) | model listener `timeout` | 300 s |
| retries on connect errors, 429 and 5xx | model listener `max_retries` | 0 |
| upstream connect timeout | `overrides.upstream_connect_timeout` | 5 s |
| CA bundle for upstream TLS | `overrides.upstream_tls_ca_path` | system store |
| request body limit | env `PLANO_LLM_MAX_BODY_BYTES` | 32 MiB |
| retry backoff base | env `PLANO_LLM_RETRY_BASE_SECONDS` | 0.5 s |
| retry backoff cap | env `PLANO_LLM_RETRY_MAX_SECONDS` | 5 s |
| connections kept per upstream host | env `PLANO_LLM_POOL_PER_HOST` | 256 |
| rate-limit backend | env `PLANO_RATELIMIT_BACKEND` (`memory` or `redis`) | memory |
| Redis URL of the redis backend | env `PLANO_RATELIMIT_REDIS_URL` | redis://127.0.0.1:6379/0 |
| Redis failure policy | env `PLANO_RATELIMIT_FAIL_OPEN` (`1`/`0`) | 1 (fail open) |
| access log destination | env `PLANO_ACCESS_LOG` (`stderr`, a path, `off`) | stderr |
| prompt-cache breakpoints | `prompt_caching.enabled` + `inject_cache_control` | off |

With prompt caching on, `prompt_caching.min_prefix_tokens` is the smallest prefix that gets a
breakpoint, and the request header `x-plano-cache: off` skips it for one request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_ROUTE_TIMEOUT = 300.0
DEFAULT_CONNECT_TIMEOUT = 5.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class SettingsError(ValueError):
    """A gateway knob has an unusable value; the message names it."""


def parse_duration(value: object, name: str, default: float) -> float:
    """Seconds from a config duration: a number (seconds) or a string like "30s", "500ms"."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise SettingsError(f"{name}: expected a duration like '30s', got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise SettingsError(f"{name}: expected a duration like '30s', got {value!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Everything the gateway needs to know besides the providers."""

    route_timeout: float = DEFAULT_ROUTE_TIMEOUT
    max_retries: int = 0
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    tls_ca_path: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 5.0
    pool_per_host: int = 256
    ratelimit_backend: str = "memory"
    ratelimit_redis_url: str = "redis://127.0.0.1:6379/0"
    ratelimit_fail_open: bool = True
    prompt_cache_min_tokens: int | None = None


def _env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected an integer, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name}: must be positive, got {raw!r}")
    return value


def _env_seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    return parse_duration(environ.get(name) or None, name, default)


def settings_from(
    *,
    listener_timeout: object,
    listener_max_retries: int | None,
    connect_timeout: object,
    tls_ca_path: str | None,
    prompt_cache_min_tokens: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> GatewaySettings:
    """Combine config values and environment knobs into settings."""
    env = os.environ if environ is None else environ
    backend = env.get("PLANO_RATELIMIT_BACKEND", "memory").strip().lower() or "memory"
    if backend not in ("memory", "redis"):
        raise SettingsError(
            f"PLANO_RATELIMIT_BACKEND: expected 'memory' or 'redis', got {backend!r}"
        )
    return GatewaySettings(
        route_timeout=parse_duration(listener_timeout, "listener timeout", DEFAULT_ROUTE_TIMEOUT),
        max_retries=max(0, listener_max_retries or 0),
        connect_timeout=parse_duration(
            connect_timeout, "overrides.upstream_connect_timeout", DEFAULT_CONNECT_TIMEOUT
        ),
        tls_ca_path=tls_ca_path or None,
        max_body_bytes=_env_int(env, "PLANO_LLM_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        retry_base_seconds=_env_seconds(env, "PLANO_LLM_RETRY_BASE_SECONDS", 0.5),
        retry_max_seconds=_env_seconds(env, "PLANO_LLM_RETRY_MAX_SECONDS", 5.0),
        pool_per_host=_env_int(env, "PLANO_LLM_POOL_PER_HOST", 256),
        ratelimit_backend=backend,
        ratelimit_redis_url=env.get("PLANO_RATELIMIT_REDIS_URL") or "redis://127.0.0.1:6379/0",
        ratelimit_fail_open=env.get("PLANO_RATELIMIT_FAIL_OPEN", "1").strip() not in ("0", "false"),
        prompt_cache_min_tokens=prompt_cache_min_tokens,
    )
