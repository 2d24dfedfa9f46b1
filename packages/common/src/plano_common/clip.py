"""Bounding client-controlled text before it reaches a log line, an error body or a label.

A hostile client can send a megabyte where a model name belongs; every place that echoes such
a string shows at most a bounded prefix and says how much was cut.
"""

from __future__ import annotations

__all__ = ["CLIENT_TEXT_LIMIT", "clip"]

CLIENT_TEXT_LIMIT = 256
"""Characters of a client-supplied string shown in an error message or a log field."""

_CUT_TOKEN_DROPPED = 64
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/="


def clip(text: str, limit: int = CLIENT_TEXT_LIMIT) -> str:
    """``text`` itself when it has at most ``limit`` characters, else its first ``limit``
    characters followed by ``…[+N chars]``.

    A short token-like run cut at the boundary (possibly the start of a credential) is
    dropped whole, so the kept prefix never shows a piece of a key too short for masking to
    recognize; a longer run keeps a prefix long enough to be recognized.
    """
    if len(text) <= limit:
        return text
    kept = text[:limit]
    if text[limit] in _TOKEN_CHARS:
        stripped = kept.rstrip(_TOKEN_CHARS)
        if len(kept) - len(stripped) <= _CUT_TOKEN_DROPPED:
            kept = stripped
    return f"{kept}…[+{len(text) - len(kept)} chars]"
