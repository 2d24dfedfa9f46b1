"""Building a prompt target's API path from tool-call arguments.

``{name}`` placeholders in the endpoint path are replaced with the URL-encoded argument (every
reserved character is encoded, and a bare ``.`` or ``..`` is encoded too, so a value can never
add a segment, a query or a dot-segment); the remaining arguments, then the parameter defaults
that were not supplied, are appended as query parameters. A default also fills a placeholder.
``None`` counts as not supplied; booleans are written ``true``/``false``; lists and objects as
compact JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec

__all__ = [
    "PathParamError",
    "build_path",
    "encode_component",
    "fill_path",
    "format_value",
    "remaining_params",
]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class PathParamError(ValueError):
    """The path template cannot be filled (missing value or malformed placeholder)."""


def format_value(value: Any) -> str:
    """The text form of an argument value, before URL-encoding."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return msgspec.json.encode(value).decode()


def encode_component(value: Any) -> str:
    """URL-encode one value so that it stays a single path segment or query value."""
    encoded = quote(format_value(value), safe="")
    if encoded in (".", ".."):
        return encoded.replace(".", "%2E")
    return encoded


def fill_path(template: str, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Substitute the ``{name}`` placeholders; return the path and the arguments not used."""
    if template.count("{") != template.count("}"):
        raise PathParamError(f"unbalanced braces in path template {template!r}")
    used: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = args.get(name)
        if value is None:
            raise PathParamError(f"Missing value for parameter `{name}`")
        used.add(name)
        return encode_component(value)

    path = _PLACEHOLDER.sub(substitute, template)
    leftover = {k: v for k, v in args.items() if k not in used and v is not None}
    return path, leftover


def remaining_params(
    template: str, args: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """The filled path and every parameter not in it: leftover arguments, then unused defaults.

    A default also fills a placeholder whose argument is missing.
    """
    values = {name: value for name, value in args.items() if value is not None}
    for name, value in (defaults or {}).items():
        if value is not None and name not in values:
            values[name] = value
    return fill_path(template, values)


def build_path(
    template: str, args: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> str:
    """The request path: placeholders filled, other arguments and defaults as query parameters."""
    path, params = remaining_params(template, args, defaults)
    if not params:
        return path
    query = "&".join(f"{quote(name, safe='')}={encode_component(v)}" for name, v in params.items())
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{query}"
