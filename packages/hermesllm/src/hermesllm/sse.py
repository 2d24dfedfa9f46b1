"""Incremental Server-Sent Events parsing and encoding (WHATWG HTML "server-sent events").

`SseParser` turns network chunks, split anywhere, into complete `SseEvent`s:

- lines end with CRLF, LF or a lone CR (a CR at the end of one chunk and an LF at the start of
  the next count as one line ending);
- `data:` lines, with or without the space after the colon, are joined with "\\n";
- lines starting with ":" are comments; `event:`, `id:` and `retry:` (ASCII digits only) are
  honoured; other fields are ignored; a line without a colon is a field with an empty value;
- an event is dispatched on a blank line, and only if it had at least one `data` line;
- a UTF-8 byte order mark at the very start of the stream is skipped.

The parser holds the bytes of the event being assembled until its blank line arrives, then
decodes the complete blocks of a chunk together, so a multi-byte UTF-8 character split across
chunks is never torn. Invalid UTF-8 is replaced with U+FFFD, as the specification prescribes;
it never raises.

Streams made of the usual blocks — one `data: ` line, optionally after one `event: ` line —
are recognized with a few whole-buffer string operations instead of line by line; any other
block takes the general line-by-line path, with identical results.

The parser holds at most `max_buffer` bytes (the event being assembled, line endings
normalized). Past that it raises `SseBufferOverflowError`, drops what it held and the stream
must be abandoned.
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
_NEWLINE = 0x0A


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
        "_held",
        "_last_id",
        "_max_buffer",
        "_ready",
        "_skip_lf",
        "_started",
        "_tail",
        "retry",
    )

    def __init__(self, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        if max_buffer < 1:
            raise ValueError("max_buffer must be positive")
        self._max_buffer = max_buffer
        self._tail: list[bytes] = []
        """The incomplete event block, LF line endings, in the pieces it arrived in."""
        self._held = 0
        self._skip_lf = False
        self._started = False
        self._ready = False
        """At an event boundary: the stream started, nothing held, no CR awaiting its LF."""
        self._last_id: str | None = None
        self.retry: int | None = None
        """The reconnection time (ms) from the most recent valid `retry:` line."""

    @property
    def pending(self) -> int:
        """Bytes held: the event block being assembled (line endings normalized to LF)."""
        return self._held

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
            if chunk[0] == _NEWLINE:
                chunk = chunk[1:]
                if not chunk:
                    return events
        if chunk.find(_CR) >= 0:
            if chunk[-1] == 0x0D:
                self._skip_lf = True
            chunk = chunk.replace(b"\r\n", _LF).replace(_CR, _LF)
        tail = self._tail
        self._ready = False
        if (
            self._started
            and chunk.find(_BLANK) < 0
            and not (chunk[0] == _NEWLINE and tail and tail[-1][-1] == _NEWLINE)
        ):
            tail.append(chunk)
            self._held += len(chunk)
            if self._held > self._max_buffer:
                self._overflow()
            return events
        if tail:
            tail.append(chunk)
            buf = b"".join(tail)
        else:
            buf = chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._tail = [buf]
                self._held = len(buf)
                return events
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        end = buf.rfind(_BLANK) + 2
        if end > 1:
            self._blocks(buf[:end] if end < len(buf) else buf, events)
            buf = buf[end:]
        self._tail = [buf] if buf else []
        self._held = len(buf)
        if self._held > self._max_buffer:
            self._overflow()
        self._ready = not buf and not self._skip_lf
        return events

    def close(self) -> list[SseEvent]:
        """Signal end of stream.

        Unlike a browser, which discards an unterminated event, this dispatches it: upstreams
        sometimes end the stream without the final blank line, and the last event (often the
        usage) must not be lost. Returns that event, if any; the parser is then reset.
        """
        events: list[SseEvent] = []
        if self._tail and self._started:
            lines = b"".join(self._tail).split(_LF)
            lines.append(b"")
            self._process(lines, events)
        self._reset()
        self._started = False
        self._last_id = None
        return events

    def _overflow(self) -> None:
        held = self._held
        self._reset()
        raise SseBufferOverflowError(
            f"SSE event exceeds the buffer bound of {self._max_buffer} bytes "
            f"({held} bytes held without a complete event)"
        )

    def _reset(self) -> None:
        self._tail = []
        self._held = 0
        self._skip_lf = False
        self._ready = False

    def _blocks(self, buf: bytes, events: list[SseEvent]) -> None:
        """Dispatch the complete event blocks of `buf`, which ends with a blank line.

        The usual shapes are recognized on the decoded text with whole-buffer operations: a
        run of blocks that are each one `data: ` line, or each an `event: ` line and a `data: `
        line (line counts prove the shape). Anything else goes line by line through `_process`.
        """
        text = buf.decode("utf-8", "replace")
        last_id = self._last_id
        if text.startswith("data: "):
            size = len(text) - 2
            if text.find("\n") == size:
                events.append(SseEvent(None, text[6:size], last_id))
                return
            values = text[6:-2].split("\n\ndata: ")
            if text.count("\n") == 2 * len(values):
                events += [SseEvent(None, value, last_id) for value in values]
                return
        elif text.startswith("event: "):
            size = len(text) - 2
            newline = text.find("\n")
            if text.startswith("data: ", newline + 1) and text.find("\n", newline + 1) == size:
                events.append(SseEvent(text[7:newline] or None, text[newline + 7 : size], last_id))
                return
            lines = text.split("\n")
            lines.pop()
            if len(lines) % 3 == 0:
                names = lines[0::3]
                if (
                    not any(lines[2::3])
                    and _all_start_with("\n".join(names), "event: ")
                    and text.count("\ndata: ") == len(names)
                ):
                    events += [
                        SseEvent(name[7:] or None, value[6:], last_id)
                        for name, value in zip(names, lines[1::3], strict=True)
                    ]
                    return
        self._process(buf.split(_LF)[:-1], events)

    def _process(self, lines: list[bytes], events: list[SseEvent]) -> None:
        """Interpret whole lines, the last of which is blank (so every event is dispatched)."""
        data: list[bytes] = []
        event: bytes | None = None
        retry: int | None = None
        for line in lines:
            if not line:
                if data:
                    payload = data[0] if len(data) == 1 else _LF.join(data)
                    events.append(
                        SseEvent(
                            event.decode("utf-8", "replace") if event else None,
                            payload.decode("utf-8", "replace"),
                            self._last_id,
                            retry,
                        )
                    )
                    data = []
                event = None
                retry = None
                continue
            if line.startswith(b"data:"):
                data.append(line[6:] if line.startswith(b"data: ") else line[5:])
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
            elif field == b"event":
                event = value
            elif field == b"id":
                if b"\x00" not in value:
                    self._last_id = value.decode("utf-8", "replace") if value else None
            elif field == b"retry" and value.isdigit():
                retry = self.retry = int(value)


def _all_start_with(joined: str, prefix: str) -> bool:
    """Whether every line of `joined` (lines joined with "\\n") starts with `prefix`."""
    return joined.startswith(prefix) and joined.count("\n" + prefix) == joined.count("\n")


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
