"""Reading HTTP headers from any string mapping, whatever the case of its keys."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["header_value"]


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (given in lower case), or None when it is absent.

    An exact key is a dictionary hit; otherwise the keys are compared case-insensitively.
    """
    value = headers.get(name)
    if value is not None:
        return value
    return next((candidate for key, candidate in headers.items() if key.lower() == name), None)
