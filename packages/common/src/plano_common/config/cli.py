"""`plano-config`: validate a config file, print its normalized form, or print the JSON Schema.

plano-config validate FILE     exit 0 when valid (warnings on stderr), 2 with one line if not
plano-config show FILE         the normalized config as JSON (secrets masked)
plano-config schema            the JSON Schema of the config file
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

import msgspec

from plano_common.config.errors import ConfigError
from plano_common.config.json_schema import config_json_schema
from plano_common.config.loader import load_config
from plano_common.config.types import PlanoConfig
from plano_common.logs import MASK, mask_value

__all__ = ["EXIT_INVALID", "main", "masked"]

EXIT_INVALID = 2
_SECRET_KEYS = frozenset(
    {"access_key", "api_key", "secret_access_key", "session_token", "connection_string"}
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="plano-config", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a config file")
    validate.add_argument("file")
    show = commands.add_parser("show", help="print the normalized config as JSON")
    show.add_argument("file")
    commands.add_parser("schema", help="print the JSON Schema of the config file")
    args = parser.parse_args(argv)

    if args.command == "schema":
        _print_json(config_json_schema())
        return 0
    config_logger = logging.getLogger("plano.config")
    was_disabled, config_logger.disabled = config_logger.disabled, True
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        sys.stderr.write(f"invalid config: {exc}\n")
        return EXIT_INVALID
    finally:
        config_logger.disabled = was_disabled
    for warning in config.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if args.command == "show":
        _print_json(masked(config))
    else:
        sys.stdout.write(f"{args.file}: valid\n")
    return 0


def masked(config: PlanoConfig) -> Any:
    """The config as JSON-ready data with secrets replaced by `***`: keys, AWS secrets and
    connection strings, credential headers, URL passwords and key-shaped values."""
    return _mask(msgspec.to_builtins(config))


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask_entry(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(item) for item in value]
    return mask_value(value) if isinstance(value, str) else value


def _mask_entry(key: str, item: Any) -> Any:
    if key in _SECRET_KEYS and item:
        return MASK
    return mask_value(item, key) if isinstance(item, str) else _mask(item)


def _print_json(data: Any) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
