"""Duration strings of the config ("30s", "300ms", "5m", "1h", "0.005s") as seconds."""

from __future__ import annotations

import re

from plano_common.config.errors import ConfigError, ConfigPath, quote

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str | float, path: ConfigPath) -> float:
    """Seconds in `value`; a bare number means seconds. Raises ConfigError naming `path`."""
    if isinstance(value, bool):
        raise ConfigError(_hint(value), path=path)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ConfigError(_hint(value), path=path)
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if seconds <= 0:
        raise ConfigError(f'{quote(value)} must be a positive duration, e.g. "30s"', path=path)
    return seconds


def _hint(value: object) -> str:
    return (
        f'{quote(value)} is not a duration; use a number with a unit, e.g. "30s", "300ms" or "5m"'
    )
