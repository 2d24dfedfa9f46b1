"""Service-wide server knobs read from the environment, each refused with a one-line reason.

| env | meaning | default |
|---|---|---|
| `PLANO_KEEP_ALIVE_SECONDS` | idle time before an idle client connection is closed | 30 |
| `PLANO_HEADER_TIMEOUT_SECONDS` | time for a client to send a complete request head | 10 |
| `PLANO_BODY_TIMEOUT_SECONDS` | time for a client to send a complete request body | 60 |
| `PLANO_BODY_BUDGET_BYTES` | request-body bytes held at once, all requests together | 256 MiB |
| `PLANO_DRAIN_SECONDS` | on SIGTERM, time in-flight requests get before being cut | 30 |
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BODY_BUDGET_ENV",
    "BODY_TIMEOUT_ENV",
    "DRAIN_ENV",
    "HEADER_TIMEOUT_ENV",
    "KEEP_ALIVE_ENV",
    "ServerSettings",
    "ServerSettingsError",
    "server_settings",
]

KEEP_ALIVE_ENV = "PLANO_KEEP_ALIVE_SECONDS"
HEADER_TIMEOUT_ENV = "PLANO_HEADER_TIMEOUT_SECONDS"
BODY_TIMEOUT_ENV = "PLANO_BODY_TIMEOUT_SECONDS"
BODY_BUDGET_ENV = "PLANO_BODY_BUDGET_BYTES"
DRAIN_ENV = "PLANO_DRAIN_SECONDS"


class ServerSettingsError(ValueError):
    """A server knob has an unusable value; the message names the knob."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How the server treats client connections, request bodies and shutdown."""

    keep_alive_seconds: float = 30.0
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 60.0
    body_budget_bytes: int = 256 * 1024 * 1024
    drain_seconds: float = 30.0


def server_settings(environ: Mapping[str, str] | None = None) -> ServerSettings:
    """The server knobs from the environment; `ServerSettingsError` names a bad one."""
    env = os.environ if environ is None else environ
    default = ServerSettings()
    return ServerSettings(
        keep_alive_seconds=_seconds(env, KEEP_ALIVE_ENV, default.keep_alive_seconds),
        header_timeout_seconds=_seconds(env, HEADER_TIMEOUT_ENV, default.header_timeout_seconds),
        body_timeout_seconds=_seconds(env, BODY_TIMEOUT_ENV, default.body_timeout_seconds),
        body_budget_bytes=_bytes(env, BODY_BUDGET_ENV, default.body_budget_bytes),
        drain_seconds=_seconds(env, DRAIN_ENV, default.drain_seconds, allow_zero=True),
    )


def _seconds(env: Mapping[str, str], name: str, default: float, allow_zero: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ServerSettingsError(f"{name}: expected a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "positive"
        raise ServerSettingsError(f"{name}: must be {bound}, got {raw!r}")
    return value


def _bytes(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServerSettingsError(f"{name}: expected a number of bytes, got {raw!r}") from None
    if value <= 0:
        raise ServerSettingsError(f"{name}: must be positive, got {raw!r}")
    return value
