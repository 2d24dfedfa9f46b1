"""Runtime knobs of brightstaff, read from the Plano config and the environment.

| knob | source | default |
|---|---|---|
| egress base URL | env `LLM_PROVIDER_ENDPOINT`, else `endpoints.llm_gateway` | 127.0.0.1:12001 |
| request timeout (whole request incl. stream) | each model listener's `timeout` | 300 s |
| egress connect timeout | `overrides.upstream_connect_timeout` | 5 s |
| request body limit | env `PLANO_BRIGHTSTAFF_MAX_BODY_BYTES` | 32 MiB |
| time to read a request body | env `PLANO_BODY_TIMEOUT_SECONDS` (all services) | 60 s |
| connections kept to the egress | env `PLANO_BRIGHTSTAFF_POOL_SIZE` | 256 |
| access log destination | env `PLANO_ACCESS_LOG` (`stderr`, a path, `off`) | stderr |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from plano_common.config.types import PlanoConfig
from plano_common.egress_url import DEFAULT_EGRESS_URL, EGRESS_ENDPOINT_NAME, egress_url
from plano_common.env_knobs import env_int

__all__ = [
    "DEFAULT_EGRESS_URL",
    "EGRESS_ENDPOINT_NAME",
    "BrightstaffSettings",
    "SettingsError",
    "settings_from",
]

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_POOL_SIZE = 256


class SettingsError(ValueError):
    """A knob has an unusable value; the message names it."""


@dataclass(frozen=True, slots=True)
class BrightstaffSettings:
    """Everything brightstaff needs besides the providers and listeners."""

    egress_url: str = DEFAULT_EGRESS_URL
    connect_timeout: float = 5.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    pool_size: int = DEFAULT_POOL_SIZE


def settings_from(
    config: PlanoConfig, environ: Mapping[str, str] | None = None
) -> BrightstaffSettings:
    """Combine the config and the environment into settings; raises `SettingsError`."""
    env = os.environ if environ is None else environ
    return BrightstaffSettings(
        egress_url=egress_url(config, env, error=SettingsError),
        connect_timeout=config.overrides.upstream_connect_timeout_seconds,
        max_body_bytes=env_int(
            env, "PLANO_BRIGHTSTAFF_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, error=SettingsError
        ),
        pool_size=env_int(
            env, "PLANO_BRIGHTSTAFF_POOL_SIZE", DEFAULT_POOL_SIZE, error=SettingsError
        ),
    )
