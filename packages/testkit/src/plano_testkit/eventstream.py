"""AWS event-stream framing (as Bedrock ConverseStream sends it), written independently of
hermesllm so that each side tests the other.

Frame: total length u32 | headers length u32 | CRC32 of those 8 bytes | headers | payload |
CRC32 of everything before it. All integers big-endian. A header is name length u8, name,
type u8, value; the fake only sends string headers (type 7, u16 length) but `decode_frames`
reads every type.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["PRELUDE", "DecodedFrame", "FrameError", "HeaderValue", "decode_frames", "encode_frame"]

PRELUDE = struct.Struct(">II")
HeaderValue = bool | int | bytes | str | uuid.UUID

_TYPE_STRING = 7
_FIXED_INT = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}


@dataclass(frozen=True)
class DecodedFrame:
    """One decoded frame."""

    headers: dict[str, HeaderValue]
    payload: bytes


class FrameError(ValueError):
    """The bytes are not a valid event-stream frame."""


def encode_frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One frame with string headers, in the order given."""
    header_bytes = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = PRELUDE.size + 4 + len(header_bytes) + len(payload) + 4
    prelude = PRELUDE.pack(total, len(header_bytes))
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + header_bytes + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _encode_header(name: str, value: str) -> bytes:
    raw_name = name.encode()
    raw_value = value.encode()
    return (
        bytes([len(raw_name)])
        + raw_name
        + bytes([_TYPE_STRING])
        + struct.pack(">H", len(raw_value))
        + raw_value
    )


def decode_frames(data: bytes) -> list[DecodedFrame]:
    """Decode a complete byte string of frames, checking both CRCs of each."""
    frames: list[DecodedFrame] = []
    position = 0
    while position < len(data):
        if len(data) - position < 16:
            raise FrameError("truncated frame")
        total, headers_length = PRELUDE.unpack_from(data, position)
        (prelude_crc,) = struct.unpack_from(">I", data, position + 8)
        if zlib.crc32(data[position : position + 8]) != prelude_crc:
            raise FrameError("prelude CRC mismatch")
        end = position + total
        if end > len(data) or headers_length > total - 16:
            raise FrameError("frame length out of range")
        (message_crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(data[position : end - 4]) != message_crc:
            raise FrameError("message CRC mismatch")
        headers_start = position + 12
        headers = _decode_headers(data[headers_start : headers_start + headers_length])
        frames.append(DecodedFrame(headers, data[headers_start + headers_length : end - 4]))
        position = end
    return frames


def _decode_headers(raw: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    position = 0
    while position < len(raw):
        name_length = raw[position]
        name = raw[position + 1 : position + 1 + name_length].decode()
        position += 1 + name_length
        kind = raw[position]
        position += 1
        value: HeaderValue
        if kind in (0, 1):
            value = kind == 0
        elif kind in _FIXED_INT:
            fmt = _FIXED_INT[kind]
            (value,) = struct.unpack_from(fmt, raw, position)
            position += struct.calcsize(fmt)
        elif kind in (6, 7):
            (length,) = struct.unpack_from(">H", raw, position)
            chunk = raw[position + 2 : position + 2 + length]
            value = chunk.decode() if kind == _TYPE_STRING else chunk
            position += 2 + length
        elif kind == 9:
            value = uuid.UUID(bytes=raw[position : position + 16])
            position += 16
        else:
            raise FrameError(f"unknown header type {kind}")
        headers[name] = value
    return headers
