"""Request ids made by the services when a client sends none."""

from __future__ import annotations

import os

__all__ = ["new_request_id"]


def new_request_id() -> str:
    """A random request id: 32 hex digits laid out as `uuid.uuid4().hex` (version 4, RFC 4122
    variant), without building a UUID object."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()
