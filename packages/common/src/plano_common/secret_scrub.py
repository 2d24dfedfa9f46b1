"""Masking known secret values in bytes relayed to a client.

An upstream that echoes the credential it received (``Incorrect API key provided: sk-…``)
must not hand the operator's key to the client. ``SecretScrubber`` is built once per config
from every configured secret and replaces each occurrence, raw or JSON-escaped, with ``***``
in one pass of one precompiled pattern. A per-request secret (a passthrough key the client
sent) is turned into its forms once with ``secret_forms`` and replaced with a plain byte
search.

Secrets shorter than ``MIN_SECRET_LENGTH`` are not masked: placeholders such as ``EMPTY`` or
``none`` would otherwise corrupt ordinary text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

__all__ = ["MIN_SECRET_LENGTH", "SECRET_MASK", "SecretScrubber", "secret_forms"]

MIN_SECRET_LENGTH = 8
SECRET_MASK = b"***"


def secret_forms(secret: str | None) -> tuple[bytes, ...]:
    """The byte forms a secret takes in a relayed body (raw, JSON-escaped, ``/`` escaped);
    none for an absent or too short secret."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return ()
    raw = secret.encode("utf-8", errors="surrogatepass")
    escaped = msgspec.json.encode(secret)[1:-1]
    return tuple({raw, escaped, escaped.replace(b"/", b"\\/")})


class SecretScrubber:
    """Replaces the configured secrets (and an optional per-request one) in bytes."""

    __slots__ = ("_pattern",)

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms = {form for secret in secrets for form in secret_forms(secret)}
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile(b"|".join(map(re.escape, ordered))) if ordered else None

    @property
    def empty(self) -> bool:
        """True when there is no configured secret to mask."""
        return self._pattern is None

    def scrub(self, data: bytes, extra: tuple[bytes, ...] = ()) -> bytes:
        """``data`` with every secret replaced by ``***``; ``extra`` holds the forms of one
        more secret (from ``secret_forms``)."""
        if self._pattern is not None:
            data = self._pattern.sub(SECRET_MASK, data)
        for form in extra:
            data = data.replace(form, SECRET_MASK)
        return data
