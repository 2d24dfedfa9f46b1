"""Bounds on what talking to upstreams may cost: concurrency, idle connections, body sizes.

| knob | env | default |
|---|---|---|
| requests in flight per upstream host | `PLANO_LLM_MAX_CONNECTIONS_PER_HOST` | 4096 |
| longest wait for a free slot (then 503) | `PLANO_LLM_POOL_WAIT_SECONDS` | the route timeout |
| idle time of a kept-alive connection | `PLANO_LLM_KEEPALIVE_SECONDS` | 60 s |
| non-streamed upstream body, decoded (502 past it) | `PLANO_LLM_MAX_UPSTREAM_BODY_BYTES` | 64 MiB |
| one upstream stream (error event past it) | `PLANO_LLM_MAX_STREAM_BYTES` | 256 MiB |

`PLANO_LLM_POOL_PER_HOST`, the former name of the concurrency limit, is still read when
`PLANO_LLM_MAX_CONNECTIONS_PER_HOST` is unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plano_common.config.durations import parse_duration
from plano_common.config.errors import ConfigError
from plano_common.env_knobs import env_int

__all__ = ["UpstreamLimits"]

DEFAULT_MAX_CONNECTIONS_PER_HOST = 4096
DEFAULT_KEEPALIVE_SECONDS = 60.0
DEFAULT_MAX_UPSTREAM_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_STREAM_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class UpstreamLimits:
    """Concurrency, keep-alive and size bounds towards upstreams."""

    max_connections_per_host: int = DEFAULT_MAX_CONNECTIONS_PER_HOST
    pool_wait_seconds: float | None = None
    keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS
    max_body_bytes: int = DEFAULT_MAX_UPSTREAM_BODY_BYTES
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> UpstreamLimits:
        """Limits from the `PLANO_LLM_*` variables (ValueError names a bad one)."""
        connections_name = "PLANO_LLM_MAX_CONNECTIONS_PER_HOST"
        if (
            not environ.get(connections_name, "").strip()
            and environ.get("PLANO_LLM_POOL_PER_HOST", "").strip()
        ):
            connections_name = "PLANO_LLM_POOL_PER_HOST"
        return cls(
            max_connections_per_host=env_int(
                environ, connections_name, DEFAULT_MAX_CONNECTIONS_PER_HOST
            ),
            pool_wait_seconds=_positive_seconds(environ, "PLANO_LLM_POOL_WAIT_SECONDS", None),
            keepalive_seconds=_positive_seconds(environ, "PLANO_LLM_KEEPALIVE_SECONDS", None)
            or DEFAULT_KEEPALIVE_SECONDS,
            max_body_bytes=env_int(
                environ, "PLANO_LLM_MAX_UPSTREAM_BODY_BYTES", DEFAULT_MAX_UPSTREAM_BODY_BYTES
            ),
            max_stream_bytes=env_int(
                environ, "PLANO_LLM_MAX_STREAM_BYTES", DEFAULT_MAX_STREAM_BYTES
            ),
        )


def _positive_seconds(environ: Mapping[str, str], name: str, default: float | None) -> float | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_duration(raw, ())
    except ConfigError as exc:
        raise ValueError(f"{name}: {exc.problem}") from None
