"""Duration strings of the config ("30s", "300ms", "5m", "1h", "1m30s", "0.005s") as seconds."""

from __future__ import annotations

import re

from plano_common.config.errors import ConfigError, ConfigPath, quote

__all__ = ["parse_duration"]

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION = re.compile(rf"^(?:{_NUMBER}(?:ms|s|m|h))+$|^{_NUMBER}$")
_PART = re.compile(rf"({_NUMBER})(ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str | float, path: ConfigPath) -> float:
    """Seconds in `value`; a bare number means seconds. Raises ConfigError naming `path`.

    Units are `ms`, `s`, `m` and `h` in any case and may be combined (`"1m30s"`).
    """
    if isinstance(value, bool):
        raise ConfigError(_hint(value), path=path)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = "".join(value.split()).lower()
        if not _DURATION.match(text):
            raise ConfigError(_hint(value), path=path)
        seconds = sum(
            float(number) * _UNIT_SECONDS[unit or "s"] for number, unit in _PART.findall(text)
        )
    if seconds <= 0:
        raise ConfigError(f'{quote(value)} must be a positive duration, e.g. "30s"', path=path)
    return seconds


def _hint(value: object) -> str:
    return (
        f'{quote(value)} is not a duration; use a number with a unit, e.g. "30s", "300ms" or "5m"'
    )
