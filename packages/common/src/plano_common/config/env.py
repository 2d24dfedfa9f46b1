"""`$VAR` / `${VAR}` substitution in config strings, from the environment and a `.env` file.

`${VAR:-fallback}` uses `fallback` when VAR is unset or empty; `$$` is a literal `$`.
A reference to an unset variable is left as written and reported with its location; the
loader decides whether that location needs the value (see docs/config.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from plano_common.config.errors import ConfigPath

__all__ = ["UnsetVariable", "read_dotenv", "substitute"]

_REFERENCE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<fallback>[^}$]*))?\}"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<malformed>\$\{[^}]*\}?)"
)
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_DOUBLE_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$')
_SINGLE_QUOTED = re.compile(r"^'([^']*)'\s*(?:#.*)?$")
_INLINE_COMMENT = re.compile(r"(?:^|\s+)#")
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


class UnsetVariable(msgspec.Struct, frozen=True):
    """A referenced environment variable that has no value, and where it is used.

    `malformed` marks a `${...}` that is not a supported reference (`name` is its text).
    """

    name: str
    path: ConfigPath
    malformed: bool = False


def read_dotenv(path: Path) -> dict[str, str]:
    """Variables of a `.env` file (`KEY=value`, optional `export`, quotes, `#` comments).

    `"double quoted"` values understand `\\"`, `\\\\` and `\\n`; `'single quoted'` values are
    literal; a `#` after a closing quote, or after whitespace in an unquoted value, starts a
    comment. Lines that are not assignments are ignored.
    """
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(raw)
        if match is not None:
            key, value = match.groups()
            values[key] = _dotenv_value(value)
    return values


def _dotenv_value(text: str) -> str:
    quote = text[:1]
    if quote in ("'", '"'):
        found = (_DOUBLE_QUOTED if quote == '"' else _SINGLE_QUOTED).match(text)
        if found is not None:
            inner = found.group(1)
            if quote == "'":
                return inner
            return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), inner)
    return _INLINE_COMMENT.split(text, maxsplit=1)[0].strip()


def substitute(data: Any, environ: Mapping[str, str]) -> tuple[Any, list[UnsetVariable]]:
    """Replace variable references in every string value (not keys) of `data`."""
    unset: list[UnsetVariable] = []
    return _walk(data, (), environ, unset), unset


def _walk(
    value: Any, path: ConfigPath, environ: Mapping[str, str], unset: list[UnsetVariable]
) -> Any:
    if isinstance(value, str):
        return _substitute_text(value, path, environ, unset) if "$" in value else value
    if isinstance(value, dict):
        return {key: _walk(item, (*path, str(key)), environ, unset) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, index), environ, unset) for index, item in enumerate(value)]
    return value


def _substitute_text(
    text: str, path: ConfigPath, environ: Mapping[str, str], unset: list[UnsetVariable]
) -> str:
    missing: list[UnsetVariable] = []

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "$$":
            return "$"
        if match.group("malformed"):
            missing.append(UnsetVariable(whole, path, malformed=True))
            return whole
        name = match.group("braced") or match.group("plain")
        fallback = match.group("fallback")
        value = environ.get(name)
        if fallback is not None and not value:
            return fallback
        if value is None:
            missing.append(UnsetVariable(name, path))
            return whole
        return value

    result = _REFERENCE.sub(replace, text)
    unset.extend(missing)
    return result
