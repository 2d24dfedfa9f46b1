"""load_config: YAML → variable substitution → shape check → normalization.

Unset variables: a `$VAR` whose value is used must be set; a start-up error names the
variable and the place. Where the value is not used it may stay unset: `access_key` of a
`passthrough_auth` provider, `connection_string` of memory state storage, `url` of a memory
session cache, and free text (system prompts, descriptions, guard messages), which keeps the
reference as written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from plano_common.config.decode import decode_document
from plano_common.config.document import ConfigDocument
from plano_common.config.env import UnsetVariable, read_dotenv, substitute
from plano_common.config.errors import ConfigError, ConfigPath
from plano_common.config.normalize import normalize
from plano_common.config.types import PlanoConfig
from plano_common.config.yaml_source import LineMap, line_of, parse_yaml

__all__ = ["load_config", "load_config_text"]

logger = logging.getLogger("plano.config")

_FREE_TEXT_KEYS = frozenset({"description", "system_prompt", "message"})
_PROVIDER_SECTIONS = frozenset({"model_providers", "llm_providers"})


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> PlanoConfig:
    """Load, validate and normalize a Plano config file.

    Variables come from `environ` (default: the process environment) and a `.env` file beside
    the config; `environ` wins. Raises ConfigError with a one-line message.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file not found: {file}")
    dotenv = _dotenv_beside(file)
    variables = {**read_dotenv(dotenv), **(os.environ if environ is None else environ)}
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror or exc}") from None
    config = load_config_text(text, environ=variables, source=str(file), dotenv=dotenv)
    for warning in config.warnings:
        logger.warning("%s: %s", file, warning)
    return config


def _dotenv_beside(file: Path) -> Path:
    """The `.env` in the config's folder; for a symlinked config (e.g. a Kubernetes ConfigMap)
    the link's folder first, then the target's."""
    beside_link = file.absolute().parent / ".env"
    beside_target = file.resolve().parent / ".env"
    return beside_target if not beside_link.is_file() and beside_target.is_file() else beside_link


def load_config_text(
    text: str,
    *,
    environ: Mapping[str, str],
    source: str = "<config>",
    dotenv: Path | None = None,
) -> PlanoConfig:
    """Load a config from YAML text (variables from `environ` only)."""
    lines: LineMap = {}
    try:
        data, lines = parse_yaml(text)
        data, unset = substitute(data, environ)
        document = decode_document(data)
        _check_unset(unset, document, dotenv)
        return normalize(document, environ, source)
    except ConfigError as exc:
        raise exc.located(source, exc.line or line_of(lines, exc.path)) from None


def _check_unset(unset: list[UnsetVariable], document: ConfigDocument, dotenv: Path | None) -> None:
    for variable in unset:
        if not _value_needed(variable.path, document):
            continue
        if variable.malformed:
            raise ConfigError(
                f"{variable.name} is not a supported variable reference; write ${{NAME}} or "
                "${NAME:-fallback} (or $$ for a literal $)",
                path=variable.path,
            )
        where = f", add it to {dotenv}" if dotenv is not None else ""
        raise ConfigError(
            f"environment variable {variable.name} is not set; export it{where} or use "
            f"${{{variable.name}:-default}} for an optional value",
            path=variable.path,
        )


def _value_needed(path: ConfigPath, document: ConfigDocument) -> bool:
    if path and path[-1] in _FREE_TEXT_KEYS:
        return False
    if len(path) == 3 and path[0] in _PROVIDER_SECTIONS and path[2] == "access_key":
        section = document.model_providers if path[0] == "model_providers" else None
        entries = section or document.llm_providers or []
        index = path[1]
        if isinstance(index, int) and index < len(entries):
            return not entries[index].passthrough_auth
        return True
    if path == ("state_storage", "connection_string"):
        return document.state_storage is not None and document.state_storage.type == "postgres"
    if path == ("routing", "session_cache", "url"):
        cache = document.routing.session_cache if document.routing else None
        return cache is not None and cache.type == "redis"
    return path != ("system_prompt",)
