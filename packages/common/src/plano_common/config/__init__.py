"""Plano configuration: types, loading, validation and normalisation.

Placeholder loader; the full typed loader replaces it behind the same two names.
"""

from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A config file is missing or invalid; the message is one line naming the place and fix."""


def load_config(path: str | Path) -> dict[str, Any]:
    """Load and validate a Plano config file."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file not found: {file}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the top level must be a mapping")
    for key in ("version", "listeners"):
        if key not in data:
            raise ConfigError(f"{file}: missing required key {key!r}")
    return data
