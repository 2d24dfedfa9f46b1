"""AWS event-stream framing (the binary stream of Bedrock ConverseStream): decoder and encoder.

A frame is::

    total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32

all big-endian; `prelude_crc` is the CRC32 of the first 8 bytes and `message_crc` the CRC32 of
everything before it. Each header is `name_len u8 | name | type u8 | value`, with value types
0 true, 1 false, 2 i8, 3 i16, 4 i32, 5 i64, 6 bytes (u16 length), 7 string (u16 length),
8 timestamp (i64 milliseconds since the epoch), 9 uuid (16 bytes).

Decoded header values are Python values: bool, int (types 2-5), bytes, str, a UTC `datetime`
(type 8) and `uuid.UUID` (type 9). Bedrock event payloads are JSON carrying a `p` padding field
that consumers ignore.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zlib import crc32

import msgspec

from hermesllm.errors import ChecksumError, EventStreamError

__all__ = [
    "DEFAULT_MAX_FRAME",
    "EventStreamDecoder",
    "Frame",
    "HeaderValue",
    "decode_frames",
    "encode_frame",
]

DEFAULT_MAX_FRAME = 16 << 20
"""Default bound on one frame's total length, which is also the most bytes a decoder holds."""

HeaderValue = bool | int | bytes | str | datetime | uuid.UUID

_PRELUDE = struct.Struct(">III")
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_PRELUDE_LEN = 12
_MIN_FRAME = _PRELUDE_LEN + 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHED_HEADERS_MAX_LEN = 512
_HEADER_CACHE_ENTRIES = 64


class Frame(msgspec.Struct, frozen=True, gc=False):
    """One decoded frame: its headers and its raw payload."""

    headers: dict[str, HeaderValue]
    payload: bytes

    def _text_header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value if isinstance(value, str) else None

    @property
    def message_type(self) -> str | None:
        """`:message-type`: "event", "exception" or "error"."""
        return self._text_header(":message-type")

    @property
    def event_type(self) -> str | None:
        """`:event-type` of an event frame, e.g. "contentBlockDelta"."""
        return self._text_header(":event-type")

    @property
    def exception_type(self) -> str | None:
        """`:exception-type` of an exception frame, e.g. "throttlingException"."""
        return self._text_header(":exception-type")

    @property
    def error_code(self) -> str | None:
        """`:error-code` of an error frame."""
        return self._text_header(":error-code")

    @property
    def error_message(self) -> str | None:
        """`:error-message` of an error frame."""
        return self._text_header(":error-message")


class EventStreamDecoder:
    """Incremental frame decoder: feed bytes split anywhere, get complete, verified frames.

    Checks the prelude CRC as soon as 12 bytes are in, so a corrupt or oversized length is
    rejected before anything more is buffered; never holds more than `max_frame` bytes.

    A bad frame raises `ChecksumError` / `EventStreamError`. When good frames precede it in
    the same chunk they are returned first and the error is raised by the next `feed`
    (meanwhile `pending` is non-zero, so a stream ending there reads as incomplete). After an
    error the held bytes are dropped and the stream must be abandoned.
    """

    __slots__ = ("_buf", "_header_cache", "_max_frame", "_need")

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        if max_frame < _MIN_FRAME:
            raise ValueError(f"max_frame must be at least {_MIN_FRAME}")
        self._max_frame = max_frame
        self._buf = bytearray()
        self._need = 0
        self._header_cache: dict[bytes, dict[str, HeaderValue]] = {}

    @property
    def pending(self) -> int:
        """Bytes held that do not yet form a complete frame."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[Frame]:
        """Consume one network chunk; return the frames it completed (possibly none)."""
        buf = self._buf
        if buf:
            buf += chunk
            if len(buf) < self._need or len(buf) < _PRELUDE_LEN:
                return []
            data = bytes(buf)
        else:
            data = bytes(chunk)
        size = len(data)
        frames: list[Frame] = []
        pos = 0
        frame_len = _PRELUDE_LEN
        max_frame = self._max_frame
        self._need = 0
        try:
            while size - pos >= _PRELUDE_LEN:
                frame_len = _PRELUDE_LEN
                total, headers_len, prelude_crc = _PRELUDE.unpack_from(data, pos)
                if crc32(data[pos : pos + 8]) != prelude_crc:
                    raise ChecksumError("event-stream prelude CRC mismatch")
                if total < _MIN_FRAME or total > max_frame or headers_len > total - _MIN_FRAME:
                    raise _length_error(total, headers_len, max_frame)
                if size - pos < total:
                    self._need = total
                    break
                frame_len = total
                end = pos + total - 4
                if crc32(data[pos:end]) != _U32.unpack_from(data, end)[0]:
                    raise ChecksumError("event-stream message CRC mismatch")
                start = pos + _PRELUDE_LEN
                payload_start = start + headers_len
                headers = self._headers(data, start, payload_start)
                frames.append(Frame(headers, data[payload_start:end]))
                pos = end + 4
        except EventStreamError:
            self._need = 0
            if not frames:
                self._buf = bytearray()
                raise
            # Deliver the good frames first; keep just the bad frame's bytes (at most
            # max_frame), so the next feed raises the same error and `pending` shows it.
            self._buf = bytearray(data[pos : pos + frame_len])
            return frames
        self._buf = bytearray(data[pos:]) if pos < size else bytearray()
        return frames

    def _headers(self, data: bytes, start: int, end: int) -> dict[str, HeaderValue]:
        if end - start > _CACHED_HEADERS_MAX_LEN:
            return _decode_headers(data, start, end)
        # The frames of one stream repeat a handful of header blocks: decode each once.
        key = data[start:end]
        cached = self._header_cache.get(key)
        if cached is None:
            cached = _decode_headers(data, start, end)
            if len(self._header_cache) >= _HEADER_CACHE_ENTRIES:
                self._header_cache.clear()
            self._header_cache[key] = cached
        return dict(cached)


def _length_error(total: int, headers_len: int, max_frame: int) -> EventStreamError:
    if total < _MIN_FRAME:
        return EventStreamError(f"event-stream frame length {total} is shorter than a frame")
    if total > max_frame:
        return EventStreamError(f"event-stream frame length {total} exceeds the bound {max_frame}")
    return EventStreamError(
        f"event-stream headers length {headers_len} does not fit in a {total}-byte frame"
    )


def _decode_headers(data: bytes, pos: int, end: int) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    while pos < end:
        name_len = data[pos]
        pos += 1
        if name_len == 0 or pos + name_len + 1 > end:
            raise EventStreamError("event-stream header name is empty or does not fit")
        name = _utf8(data[pos : pos + name_len], "header name")
        pos += name_len
        kind = data[pos]
        pos += 1
        value: HeaderValue
        if kind == 0:
            value = True
        elif kind == 1:
            value = False
        elif kind in _FIXED:
            fmt = _FIXED[kind]
            if pos + fmt.size > end:
                raise EventStreamError(f"event-stream header {name!r} value is truncated")
            (number,) = fmt.unpack_from(data, pos)
            pos += fmt.size
            value = _timestamp(number) if kind == 8 else int(number)
        elif kind == 6 or kind == 7:
            if pos + 2 > end:
                raise EventStreamError(f"event-stream header {name!r} length is truncated")
            (length,) = _U16.unpack_from(data, pos)
            pos += 2
            if pos + length > end:
                raise EventStreamError(f"event-stream header {name!r} value is truncated")
            raw = data[pos : pos + length]
            pos += length
            value = raw if kind == 6 else _utf8(raw, f"header {name!r}")
        elif kind == 9:
            if pos + 16 > end:
                raise EventStreamError(f"event-stream header {name!r} uuid is truncated")
            value = uuid.UUID(bytes=data[pos : pos + 16])
            pos += 16
        else:
            raise EventStreamError(f"event-stream header {name!r} has unknown type {kind}")
        headers[name] = value
    return headers


_FIXED: dict[int, struct.Struct] = {2: _I8, 3: _I16, 4: _I32, 5: _I64, 8: _I64}


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventStreamError(f"event-stream {what} is not valid UTF-8") from exc


def _timestamp(millis: int) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError as exc:
        raise EventStreamError(f"event-stream timestamp {millis} ms is out of range") from exc


def decode_frames(data: bytes, max_frame: int = DEFAULT_MAX_FRAME) -> list[Frame]:
    """Decode a complete byte string of frames; raise EventStreamError if bytes are left over."""
    decoder = EventStreamDecoder(max_frame)
    frames = decoder.feed(data)
    if decoder.pending:
        decoder.feed(b"")  # raises the error of a bad frame that followed good ones
    if decoder.pending:
        raise EventStreamError(f"event-stream ends inside a frame ({decoder.pending} bytes left)")
    return frames


def encode_frame(headers: Mapping[str, HeaderValue], payload: bytes) -> bytes:
    """Build one frame with valid CRCs.

    Integers are written as i32 when they fit and i64 otherwise; timezone-aware datetimes as
    timestamps (ms).
    """
    encoded = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _MIN_FRAME + len(encoded) + len(payload)
    prelude_head = _U32.pack(total) + _U32.pack(len(encoded))
    prelude = prelude_head + _U32.pack(crc32(prelude_head))
    message = prelude + encoded + payload
    return message + _U32.pack(crc32(message))


def _encode_header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) < 256:
        raise ValueError(f"event-stream header name must be 1-255 bytes: {name!r}")
    head = bytes((len(raw_name),)) + raw_name
    if isinstance(value, bool):
        return head + (b"\x00" if value else b"\x01")
    if isinstance(value, int):
        if -(1 << 31) <= value < (1 << 31):
            return head + b"\x04" + _I32.pack(value)
        return head + b"\x05" + _I64.pack(value)
    if isinstance(value, bytes):
        return head + b"\x06" + _length_prefixed(name, value)
    if isinstance(value, str):
        return head + b"\x07" + _length_prefixed(name, value.encode("utf-8"))
    if isinstance(value, datetime):
        millis = (value - _EPOCH) // timedelta(milliseconds=1)
        return head + b"\x08" + _I64.pack(millis)
    return head + b"\x09" + value.bytes


def _length_prefixed(name: str, raw: bytes) -> bytes:
    if len(raw) > 0xFFFF:
        raise ValueError(f"event-stream header {name!r} value is longer than 65535 bytes")
    return _U16.pack(len(raw)) + raw
