"""Incremental Server-Sent Events parsing and encoding (WHATWG HTML "server-sent events").

`SseParser` turns network chunks, split anywhere, into complete `SseEvent`s:

- lines end with CRLF, LF or a lone CR (a CR at the end of one chunk and an LF at the start of
  the next count as one line ending);
- `data:` lines, with or without the space after the colon, are joined with "\\n";
- lines starting with ":" are comments; `event:`, `id:` and `retry:` (ASCII digits only) are
  honoured; other fields are ignored; a line without a colon is a field with an empty value;
- an event is dispatched on a blank line, and only if it had at least one `data` line;
- a UTF-8 byte order mark at the very start of the stream is skipped.

Bytes are decoded only once a line is complete, so a multi-byte UTF-8 character split across
chunks is never torn. Invalid UTF-8 is replaced with U+FFFD, as the specification prescribes;
it never raises.

The parser holds at most `max_buffer` bytes (the unterminated line plus the data lines of the
event being assembled). Past that it raises `SseBufferOverflowError`, drops what it held and the
stream must be abandoned.
"""

from __future__ import annotations

import msgspec

from hermesllm.errors import SseBufferOverflowError

__all__ = ["DEFAULT_MAX_BUFFER", "SseEvent", "SseParser", "encode_event"]

DEFAULT_MAX_BUFFER = 1 << 20
"""Default bound on the bytes an `SseParser` holds while waiting for an event to complete."""

_BOM = b"\xef\xbb\xbf"
_CR = b"\r"
_LF = b"\n"
_BLANK = b"\n\n"
_COLON = 0x3A
_SPACE = 0x20


class SseEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched event.

    `event` is the `event:` field (None when absent or empty, i.e. the default "message" type);
    `data` is the joined `data:` lines; `id` is the last event id seen on the stream so far
    (it persists across events, per the specification); `retry` is the reconnection time from a
    `retry:` line in this event's block, if any.
    """

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None


class SseParser:
    """Incremental SSE parser with a bounded buffer. Feed bytes, get complete events."""

    __slots__ = (
        "_data",
        "_data_size",
        "_event",
        "_last_id",
        "_max_buffer",
        "_ready",
        "_retry",
        "_skip_lf",
        "_started",
        "_tail",
        "_tail_size",
        "retry",
    )

    def __init__(self, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        if max_buffer < 1:
            raise ValueError("max_buffer must be positive")
        self._max_buffer = max_buffer
        self._tail: list[bytes] = []
        self._tail_size = 0
        self._skip_lf = False
        self._started = False
        self._data: list[bytes] = []
        self._data_size = 0
        self._event: bytes | None = None
        self._retry: int | None = None
        self._last_id: str | None = None
        self._ready = False
        self.retry: int | None = None
        """The reconnection time (ms) from the most recent valid `retry:` line."""

    @property
    def pending(self) -> int:
        """Bytes held: the unterminated line plus the data of the event being assembled."""
        return self._tail_size + self._data_size

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Consume one network chunk; return the events it completed (possibly none)."""
        events: list[SseEvent] = []
        if self._ready and chunk.endswith(_BLANK) and chunk.find(_CR) < 0:
            self._blocks(chunk, events)
            return events
        if not chunk:
            return events
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return events
        if self._started and chunk.find(_LF) < 0 and chunk.find(_CR) < 0:
            self._tail.append(chunk)
            self._tail_size += len(chunk)
            self._ready = False
            if self._tail_size + self._data_size > self._max_buffer:
                self._check_bound()
            return events
        if self._tail:
            self._tail.append(chunk)
            buf = b"".join(self._tail)
        else:
            buf = chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._tail = [buf]
                self._tail_size = len(buf)
                return events
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if buf.find(_CR) >= 0:
            if buf[-1] == 0x0D:
                self._skip_lf = True
            buf = buf.replace(b"\r\n", _LF).replace(_CR, _LF)
        self._parse(buf, events)
        if self._tail_size + self._data_size > self._max_buffer:
            self._check_bound()
        self._ready = not (self._tail or self._skip_lf or self._open())
        return events

    def close(self) -> list[SseEvent]:
        """Signal end of stream.

        Unlike a browser, which discards an unterminated event, this dispatches it: upstreams
        sometimes end the stream without the final blank line, and the last event (often the
        usage) must not be lost. Returns that event, if any; the parser is then reset.
        """
        events: list[SseEvent] = []
        lines = [b"".join(self._tail)] if self._tail and self._started else []
        lines.append(b"")
        self._process(lines, events)
        self._reset()
        self._started = False
        self._last_id = None
        return events

    def _check_bound(self) -> None:
        held = self._tail_size + self._data_size
        if held > self._max_buffer:
            self._reset()
            raise SseBufferOverflowError(
                f"SSE event exceeds the buffer bound of {self._max_buffer} bytes "
                f"({held} bytes held without a complete event)"
            )

    def _open(self) -> bool:
        """Whether an event block has begun (a field was seen since the last blank line)."""
        return bool(self._data) or self._event is not None or self._retry is not None

    def _reset(self) -> None:
        self._ready = False
        self._tail = []
        self._tail_size = 0
        self._skip_lf = False
        self._data = []
        self._data_size = 0
        self._event = None
        self._retry = None

    def _parse(self, buf: bytes, events: list[SseEvent]) -> None:
        """Parse LF-terminated lines; the unterminated last line becomes the tail.

        The line that completes an event begun in an earlier chunk goes line by line, the run
        of complete event blocks after it goes through `_blocks`, and the lines of the event
        still incomplete at the end go line by line again.
        """
        start = 0
        if self._open():
            end = 0 if buf[:1] == _LF else buf.find(_BLANK)
            if end < 0:
                self._process_lines(buf, events)
                return
            lines = buf[:end].split(_LF) if end else []
            lines.append(b"")
            self._process(lines, events)
            start = end + 2 if end else 1
        end = buf.rfind(_BLANK, start) + 2
        if end > 1:
            self._blocks(buf[start:end] if start or end < len(buf) else buf, events)
            start = end
        self._process_lines(buf[start:] if start else buf, events)

    def _blocks(self, buf: bytes, events: list[SseEvent]) -> None:
        """Dispatch complete event blocks: `buf` ends with a blank line and no event is open.

        The common shapes, every block a single `data: ` line optionally preceded by one
        `event: ` line, are recognised with a few whole-buffer string operations and decoded
        in one pass; anything else goes line by line.
        """
        text = buf.decode("utf-8", "replace")
        last_id = self._last_id
        size = len(text) - 2
        if text.startswith("data: "):
            if text.find("\n") == size:
                events.append(SseEvent(None, text[6:size], last_id))
                return
        elif text.startswith("event: "):
            newline = text.find("\n")
            if text.startswith("data: ", newline + 1) and text.find("\n", newline + 1) == size:
                events.append(SseEvent(text[7:newline] or None, text[newline + 7 : size], last_id))
                return
        lines = text.split("\n")
        lines.pop()
        count = len(lines)
        if text.startswith("event: "):
            if count % 3 == 0:
                names = lines[0::3]
                values = lines[1::3]
                if (
                    not any(lines[2::3])
                    and "\n".join(names).count("\nevent: ") == len(names) - 1
                    and _all_data("\n".join(values))
                ):
                    events += [
                        SseEvent(name[7:] or None, value[6:], last_id)
                        for name, value in zip(names, values, strict=True)
                    ]
                    return
        elif text.startswith("data: ") and count % 2 == 0:
            values = lines[0::2]
            if not any(lines[1::2]) and _all_data("\n".join(values)):
                events += [SseEvent(None, value[6:], last_id) for value in values]
                return
        self._process(buf.split(_LF)[:-1], events)

    def _process_lines(self, buf: bytes, events: list[SseEvent]) -> None:
        """Process the complete lines of `buf` and keep its unterminated last line as the tail."""
        newline = buf.rfind(_LF)
        if newline >= 0:
            self._process(buf[:newline].split(_LF), events)
            buf = buf[newline + 1 :]
        self._tail = [buf] if buf else []
        self._tail_size = len(buf)

    def _process(self, lines: list[bytes], events: list[SseEvent]) -> None:
        data = self._data
        data_size = self._data_size
        for line in lines:
            if not line:
                if data:
                    payload = data[0] if len(data) == 1 else _LF.join(data)
                    name = self._event
                    events.append(
                        SseEvent(
                            name.decode("utf-8", "replace") if name else None,
                            payload.decode("utf-8", "replace"),
                            self._last_id,
                            self._retry,
                        )
                    )
                    data = self._data = []
                    data_size = 0
                self._event = None
                self._retry = None
                continue
            if line.startswith(b"data:"):
                value = line[6:] if line.startswith(b"data: ") else line[5:]
                data.append(value)
                data_size += len(value) + 1
                continue
            if line[0] == _COLON:
                continue
            colon = line.find(b":")
            if colon < 0:
                field = line
                value = b""
            else:
                field = line[:colon]
                start = colon + 1
                if start < len(line) and line[start] == _SPACE:
                    start += 1
                value = line[start:]
            if field == b"data":
                data.append(value)
                data_size += len(value) + 1
            elif field == b"event":
                self._event = value
            elif field == b"id":
                if b"\x00" not in value:
                    self._last_id = value.decode("utf-8", "replace") if value else None
            elif field == b"retry" and value.isdigit():
                self._retry = self.retry = int(value)
        self._data_size = data_size


def encode_event(data: bytes | str, event: str | None = None) -> bytes:
    """Encode one event as wire bytes: `event: <name>\\ndata: <line>\\n...\\n\\n`.

    Data containing line breaks (LF, CRLF or CR) becomes several `data:` lines, which a parser
    joins back with "\\n". The event name must not contain a line break.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _LF in raw or _CR in raw:
        lines = raw.replace(b"\r\n", _LF).replace(_CR, _LF).split(_LF)
        body = b"data: " + b"\ndata: ".join(lines) + b"\n\n"
    else:
        body = b"data: " + raw + b"\n\n"
    if event is None:
        return body
    if "\n" in event or "\r" in event:
        raise ValueError(f"SSE event name contains a line break: {event!r}")
    return b"event: " + event.encode("utf-8") + b"\n" + body


def _all_data(joined: str) -> bool:
    """Whether every line of `joined` (lines joined with "\\n") starts with `data: `."""
    return joined.startswith("data: ") and joined.count("\ndata: ") == joined.count("\n")
