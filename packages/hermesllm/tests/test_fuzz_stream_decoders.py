"""Fuzzing: arbitrary bytes into the SSE parser and the event-stream decoder.

Both raise only hermesllm's typed errors and never hold more than their bound.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hermesllm.errors import HermesError
from hermesllm.eventstream import EventStreamDecoder, Frame, encode_frame
from hermesllm.sse import SseEvent, SseParser

# Derandomized (a fixed seed per test) so every run checks the same examples.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

chunk_lists = st.lists(st.binary(max_size=300), max_size=20)

# Bytes that look like SSE, so the fuzzer reaches every branch of the line parser.
sse_atoms = st.sampled_from(
    [
        b"data:",
        b"data: ",
        b"event: ",
        b"id: ",
        b"retry: ",
        b":",
        b"\n",
        b"\r",
        b"\r\n",
        b"\xef\xbb\xbf",
        b"\x00",
        b"{",
        b"\xc3",
        b"\xa9",
        b"\xf0\x9f\x8c",
        b"123",
        b"x",
        b"[DONE]",
    ]
)
sse_like = st.lists(st.one_of(sse_atoms, st.binary(max_size=8)), max_size=80).map(b"".join)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    chunks = []
    start = 0
    for point in points:
        chunks.append(data[start:point])
        start = point
    chunks.append(data[start:])
    return chunks


def feed_sse(parser: SseParser, chunks: list[bytes], bound: int) -> list[SseEvent]:
    events: list[SseEvent] = []
    try:
        for chunk in chunks:
            events += parser.feed(chunk)
            assert parser.pending <= bound
        events += parser.close()
    except HermesError:
        assert parser.pending <= bound
    return events


@FUZZ
@given(chunks=chunk_lists, bound=st.integers(min_value=1, max_value=512))
def test_sse_arbitrary_bytes(chunks: list[bytes], bound: int) -> None:
    feed_sse(SseParser(max_buffer=bound), chunks, bound)


@FUZZ
@given(chunks=st.lists(sse_like, max_size=10), bound=st.integers(min_value=1, max_value=256))
def test_sse_like_bytes_with_small_bound(chunks: list[bytes], bound: int) -> None:
    feed_sse(SseParser(max_buffer=bound), chunks, bound)


@FUZZ
@given(data=sse_like, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_sse_chunking_never_changes_the_events(data: bytes, cuts: list[int]) -> None:
    whole = SseParser()
    expected = whole.feed(data) + whole.close()
    assert feed_sse(SseParser(), split(data, cuts), 1 << 20) == expected


def reference_sse(data: bytes) -> list[SseEvent]:
    """A direct, slow transcription of the specification's parsing steps (plus dispatch at EOF)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    events: list[SseEvent] = []
    data_lines: list[str] | None = None
    event_name = ""
    last_id: str | None = None
    retry: int | None = None
    for raw in [*re.split(rb"\r\n|\r|\n", data), b""]:
        line = raw.decode("utf-8", "replace")
        if line == "":
            if data_lines is not None:
                events.append(SseEvent(event_name or None, "\n".join(data_lines), last_id, retry))
            data_lines, event_name, retry = None, "", None
            continue
        if line.startswith(":"):
            continue
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            data_lines = [*(data_lines or []), value]
        elif field == "event":
            event_name = value
        elif field == "id" and "\x00" not in value:
            last_id = value or None
        elif field == "retry" and value and all("0" <= c <= "9" for c in value):
            retry = int(value)
    return events


@FUZZ
@given(data=sse_like, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_sse_matches_the_reference_algorithm(data: bytes, cuts: list[int]) -> None:
    assert feed_sse(SseParser(), split(data, cuts), 1 << 20) == reference_sse(data)


line_text = st.text(
    alphabet=st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=12
)
sse_blocks = st.one_of(
    line_text.map(lambda value: f"data: {value}\n\n"),
    st.tuples(line_text, line_text).map(lambda pair: f"event: {pair[0]}\ndata: {pair[1]}\n\n"),
    st.sampled_from(
        [
            ": keep-alive\n\n",
            "id: 5\ndata: x\n\n",
            "data:no-space\n\n",
            "event: ping\n\n",
            "data: a\ndata: b\n\n",
            "event:e\ndata: y\n\n",
            "retry: 10\n\n",
            "\n",
            "data: \n\n",
            "event: \ndata: z\n\n",
            "data: tail-without-blank-line",
        ]
    ),
)


@FUZZ
@given(
    blocks=st.lists(sse_blocks, max_size=12),
    crlf=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
)
def test_sse_block_runs_match_the_reference_algorithm(
    blocks: list[str], crlf: bool, cuts: list[int]
) -> None:
    """Runs of the usual block shapes (parsed in bulk) mixed with every other kind of block."""
    text = "".join(blocks)
    data = (text.replace("\n", "\r\n") if crlf else text).encode()
    assert feed_sse(SseParser(), split(data, cuts), 1 << 20) == reference_sse(data)


def feed_frames(decoder: EventStreamDecoder, chunks: list[bytes], bound: int) -> list[Frame]:
    frames: list[Frame] = []
    try:
        for chunk in chunks:
            frames += decoder.feed(chunk)
            assert decoder.pending <= bound
    except HermesError:
        assert decoder.pending <= bound
    return frames


@FUZZ
@given(chunks=chunk_lists, bound=st.integers(min_value=16, max_value=1024))
def test_eventstream_arbitrary_bytes(chunks: list[bytes], bound: int) -> None:
    feed_frames(EventStreamDecoder(max_frame=bound), chunks, bound)


def framed(header_bytes: bytes, payload: bytes, headers_len_delta: int) -> bytes:
    """A frame with valid CRCs around arbitrary header bytes (and possibly a lying length)."""
    headers_len = max(0, len(header_bytes) + headers_len_delta)
    head = struct.pack(">II", 16 + len(header_bytes) + len(payload), headers_len)
    message = head + struct.pack(">I", zlib.crc32(head)) + header_bytes + payload
    return message + struct.pack(">I", zlib.crc32(message))


@FUZZ
@given(
    header_bytes=st.binary(max_size=120),
    payload=st.binary(max_size=60),
    headers_len_delta=st.sampled_from([0, 0, 0, -1, 1, 5, -5]),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
)
def test_eventstream_arbitrary_headers_with_valid_checksums(
    header_bytes: bytes, payload: bytes, headers_len_delta: int, cuts: list[int]
) -> None:
    data = framed(header_bytes, payload, headers_len_delta)
    feed_frames(EventStreamDecoder(max_frame=4096), split(data, cuts), 4096)


header_values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1),
    st.binary(max_size=20),
    st.text(max_size=20),
)


@FUZZ
@given(
    frames=st.lists(
        st.tuples(
            st.dictionaries(st.text(min_size=1, max_size=10), header_values, max_size=4),
            st.binary(max_size=80),
        ),
        min_size=1,
        max_size=4,
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    mutation=st.one_of(
        st.none(),
        st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)),
    ),
)
def test_eventstream_valid_and_mutated_streams(
    frames: list[tuple[dict[str, bool | int | bytes | str], bytes]],
    cuts: list[int],
    mutation: tuple[int, int] | None,
) -> None:
    data = bytearray(b"".join(encode_frame(headers, payload) for headers, payload in frames))
    if mutation is not None:
        data[mutation[0] % len(data)] ^= mutation[1]
    decoder = EventStreamDecoder(max_frame=2048)
    got = feed_frames(decoder, split(bytes(data), cuts), 2048)
    if mutation is None:
        assert got == [Frame(dict(headers), payload) for headers, payload in frames]
        assert decoder.pending == 0
    else:
        # A corrupted byte is always detected: fewer frames, and either an error was raised
        # (nothing held) or the bad frame is still held and the next feed raises.
        assert len(got) < len(frames)
        if decoder.pending:
            with pytest.raises(HermesError):
                decoder.feed(b"")
