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
| upstream concurrency, keep-alive and body sizes | `PLANO_LLM_*`, see `upstream_limits` | |
| token counting off the event loop | `PLANO_TOKENIZER_*`, see `plano_common.token_counter` | |
| rate-limit backend | env `PLANO_RATELIMIT_BACKEND` (`memory` or `redis`) | memory |
| Redis URL of the redis backend | env `PLANO_RATELIMIT_REDIS_URL` | redis://127.0.0.1:6379/0 |
| Redis failure policy | env `PLANO_RATELIMIT_FAIL_OPEN` (`1`/`0`) | 1 (fail open) |
| access log destination | env `PLANO_ACCESS_LOG` (`stderr`, a path, `off`) | stderr |
| prompt-cache breakpoints | `prompt_caching.enabled` + `inject_cache_control` | off |
| longest model id / provider hint | env `PLANO_LLM_MAX_MODEL_ID_LENGTH` | 256 |
| wildcard models labeled per provider | env `PLANO_METRICS_WILDCARD_MODELS` | 20 |
| proxies whose forwarding headers pass | env `PLANO_TRUSTED_PROXIES` | none |

With prompt caching on, `prompt_caching.min_prefix_tokens` is the smallest prefix that gets a
breakpoint, and the request header `x-plano-cache: off` skips it for one request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from llm_gateway.upstream_limits import UpstreamLimits
from plano_common.config import durations as config_durations
from plano_common.config.errors import ConfigError
from plano_common.env_knobs import env_int
from plano_common.forwarded import TrustedProxies, trusted_proxies_from_env
from plano_common.metric_labels import DEFAULT_WILDCARD_MODELS
from plano_common.model_ids import DEFAULT_MAX_MODEL_ID_LENGTH
from plano_common.token_counter import TokenCounterSettings

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_ROUTE_TIMEOUT",
    "GatewaySettings",
    "SettingsError",
    "parse_duration",
    "settings_from",
]

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_ROUTE_TIMEOUT = 300.0
DEFAULT_CONNECT_TIMEOUT = 5.0
_T = TypeVar("_T")


class SettingsError(ValueError):
    """A gateway knob has an unusable value; the message names it."""


def parse_duration(value: object, name: str, default: float) -> float:
    """Seconds from a duration knob (`default` when unset), parsed like every config duration
    (`plano_common.config.durations`): a positive number of seconds or a string like "30s",
    "500ms", "1m30s"."""
    if value is None:
        return default
    if not isinstance(value, str | int | float):
        raise SettingsError(f'{name}: expected a duration like "30s", got {value!r}')
    try:
        return config_durations.parse_duration(value, ())
    except ConfigError as exc:
        raise SettingsError(f"{name}: {exc.problem}") from None


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
    upstream: UpstreamLimits = field(default_factory=UpstreamLimits)
    tokenizer: TokenCounterSettings = field(default_factory=TokenCounterSettings)
    ratelimit_backend: str = "memory"
    ratelimit_redis_url: str = "redis://127.0.0.1:6379/0"
    ratelimit_fail_open: bool = True
    prompt_cache_min_tokens: int | None = None
    max_model_id_length: int = DEFAULT_MAX_MODEL_ID_LENGTH
    metrics_wildcard_models: int = DEFAULT_WILDCARD_MODELS
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)


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
        max_body_bytes=env_int(
            env, "PLANO_LLM_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, error=SettingsError
        ),
        retry_base_seconds=_env_seconds(env, "PLANO_LLM_RETRY_BASE_SECONDS", 0.5),
        retry_max_seconds=_env_seconds(env, "PLANO_LLM_RETRY_MAX_SECONDS", 5.0),
        upstream=_from_env(UpstreamLimits.from_env, env),
        tokenizer=_from_env(TokenCounterSettings.from_env, env),
        ratelimit_backend=backend,
        ratelimit_redis_url=env.get("PLANO_RATELIMIT_REDIS_URL") or "redis://127.0.0.1:6379/0",
        ratelimit_fail_open=env.get("PLANO_RATELIMIT_FAIL_OPEN", "1").strip() not in ("0", "false"),
        prompt_cache_min_tokens=prompt_cache_min_tokens,
        max_model_id_length=env_int(
            env, "PLANO_LLM_MAX_MODEL_ID_LENGTH", DEFAULT_MAX_MODEL_ID_LENGTH, error=SettingsError
        ),
        metrics_wildcard_models=env_int(
            env, "PLANO_METRICS_WILDCARD_MODELS", DEFAULT_WILDCARD_MODELS, error=SettingsError
        ),
        trusted_proxies=_trusted_proxies(env),
    )


def _from_env(read: Callable[[Mapping[str, str]], _T], environ: Mapping[str, str]) -> _T:
    try:
        return read(environ)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _trusted_proxies(environ: Mapping[str, str]) -> TrustedProxies:
    try:
        return trusted_proxies_from_env(environ)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
