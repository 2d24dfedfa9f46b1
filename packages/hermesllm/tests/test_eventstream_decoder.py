"""AWS event-stream decoding and encoding, on our own Bedrock recordings and AWS's real ones."""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from hermesllm.errors import ChecksumError, EventStreamError
from hermesllm.eventstream import (
    EventStreamDecoder,
    Frame,
    HeaderValue,
    decode_frames,
    encode_frame,
)
from plano_testkit.bedrock_recordings import RECORDING_NAMES, SOURCES, recording


def raw_frame(header_bytes: bytes, payload: bytes) -> bytes:
    """A frame built by hand (independently of encode_frame), with valid CRCs."""
    head = struct.pack(">II", 16 + len(header_bytes) + len(payload), len(header_bytes))
    message = head + struct.pack(">I", zlib.crc32(head)) + header_bytes + payload
    return message + struct.pack(">I", zlib.crc32(message))


def raw_header(name: bytes, kind: int, value: bytes) -> bytes:
    return bytes((len(name),)) + name + bytes((kind,)) + value


def frame_bounds(data: bytes) -> list[tuple[int, int]]:
    bounds = []
    pos = 0
    while pos < len(data):
        (total,) = struct.unpack_from(">I", data, pos)
        bounds.append((pos, pos + total))
        pos += total
    return bounds


# --- the recordings (ours, and AWS's from ../shared) ------------------------------------------


@pytest.mark.parametrize("name", RECORDING_NAMES)
@pytest.mark.parametrize("source", SOURCES)
def test_recording_decodes_at_every_chunk_size(source: str, name: str) -> None:
    data = recording(source, name)
    expected = decode_frames(data)
    assert expected
    for size in range(1, 4097):
        decoder = EventStreamDecoder()
        frames: list[Frame] = []
        for start in range(0, len(data), size):
            frames += decoder.feed(data[start : start + size])
        assert decoder.pending == 0, size
        assert frames == expected, size


@pytest.mark.parametrize("source", SOURCES)
def test_text_recording_content(source: str) -> None:
    frames = decode_frames(recording(source, "converse_stream_text.bin"))
    assert all(frame.message_type == "event" for frame in frames)
    assert frames[0].event_type == "messageStart"
    assert [frame.event_type for frame in frames[-3:]] == [
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    bodies = [json.loads(frame.payload) for frame in frames]
    text = "".join(b["delta"]["text"] for b in bodies if "delta" in b)
    assert len(text) > 100
    assert bodies[-2]["stopReason"] == "max_tokens"
    assert bodies[-1]["usage"]["outputTokens"] == 500
    assert all(frame.headers[":content-type"] == "application/json" for frame in frames)


@pytest.mark.parametrize("source", SOURCES)
def test_tools_recording_tool_input_is_complete_json(source: str) -> None:
    frames = decode_frames(recording(source, "converse_stream_tools.bin"))
    bodies = [(frame.event_type, json.loads(frame.payload)) for frame in frames]
    starts = [body for kind, body in bodies if kind == "contentBlockStart"]
    assert starts[0]["start"]["toolUse"]["name"] == "run_python_code"
    index = starts[0]["contentBlockIndex"]
    fragments = [
        body["delta"]["toolUse"]["input"]
        for kind, body in bodies
        if kind == "contentBlockDelta" and body["contentBlockIndex"] == index
    ]
    assert isinstance(json.loads("".join(fragments)), dict)
    assert bodies[-2][1]["stopReason"] == "tool_use"


@pytest.mark.parametrize("name", RECORDING_NAMES)
@pytest.mark.parametrize("source", SOURCES)
def test_every_flipped_byte_raises_checksum_error(source: str, name: str) -> None:
    data = recording(source, name)
    bounds = frame_bounds(data)
    for index, (start, end) in enumerate(bounds):
        window_end = bounds[index + 1][1] if index + 1 < len(bounds) else end
        window = bytearray(data[start:window_end])
        for offset in range(end - start):
            window[offset] ^= 0x01
            with pytest.raises(ChecksumError):
                decode_frames(bytes(window))
            window[offset] ^= 0x01


@pytest.mark.parametrize("name", RECORDING_NAMES)
@pytest.mark.parametrize("chunk_size", [1, 100, 4096, 1 << 20])
@pytest.mark.parametrize("source", SOURCES)
def test_flipped_byte_in_whole_stream(source: str, name: str, chunk_size: int) -> None:
    data = recording(source, name)
    bounds = frame_bounds(data)
    for position in (0, 5, 11, 12, 40, len(data) // 2, len(data) - 1):
        corrupt = bytearray(data)
        corrupt[position] ^= 0x80
        good = sum(1 for _, end in bounds if end <= position)
        decoder = EventStreamDecoder()
        frames: list[Frame] = []
        with pytest.raises(ChecksumError):
            for start in range(0, len(corrupt), chunk_size):
                frames += decoder.feed(bytes(corrupt[start : start + chunk_size]))
                assert decoder.pending <= max(chunk_size, 1 << 16)
            assert decoder.pending > 0
            decoder.feed(b"")
        assert frames == decode_frames(data)[:good]
        assert decoder.pending == 0
        with pytest.raises(ChecksumError):
            decode_frames(bytes(corrupt))


def test_good_frames_before_a_bad_one_are_delivered_first() -> None:
    first = encode_frame({":event-type": "a"}, b"1")
    bad = bytearray(encode_frame({":event-type": "b"}, b"2"))
    bad[-6] ^= 0x01
    decoder = EventStreamDecoder()
    assert [frame.event_type for frame in decoder.feed(first + bytes(bad) + first)] == ["a"]
    assert decoder.pending == len(bad)
    with pytest.raises(ChecksumError, match="message"):
        decoder.feed(b"")
    assert decoder.pending == 0
    decoder = EventStreamDecoder(max_frame=64)
    oversized = bytearray(prelude(1000, 0))
    assert len(decoder.feed(first + bytes(oversized) + b"x" * 200)) == 1
    assert decoder.pending == 12
    with pytest.raises(EventStreamError, match="exceeds"):
        decoder.feed(b"more")


@pytest.mark.parametrize("source", SOURCES)
def test_truncated_recording_leaves_pending_bytes(source: str) -> None:
    data = recording(source, "converse_stream_text.bin")
    decoder = EventStreamDecoder()
    frames = decoder.feed(data[:-7])
    assert decoder.pending > 0
    assert len(frames) == len(decode_frames(data)) - 1
    with pytest.raises(EventStreamError):
        decode_frames(data[:-7])


# --- header value types ----------------------------------------------------------------------


def test_all_ten_header_types_decode() -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    header_bytes = b"".join(
        [
            raw_header(b"t", 0, b""),
            raw_header(b"f", 1, b""),
            raw_header(b"i8", 2, struct.pack(">b", -5)),
            raw_header(b"i16", 3, struct.pack(">h", -300)),
            raw_header(b"i32", 4, struct.pack(">i", 70000)),
            raw_header(b"i64", 5, struct.pack(">q", -(1 << 40))),
            raw_header(b"bytes", 6, struct.pack(">H", 3) + b"\x00\xff\x01"),
            raw_header(b"str", 7, struct.pack(">H", 6) + "héllo".encode()),
            raw_header(b"ts", 8, struct.pack(">q", 1_700_000_000_123)),
            raw_header(b"id", 9, ident.bytes),
        ]
    )
    (frame,) = decode_frames(raw_frame(header_bytes, b"{}"))
    assert frame.headers == {
        "t": True,
        "f": False,
        "i8": -5,
        "i16": -300,
        "i32": 70000,
        "i64": -(1 << 40),
        "bytes": b"\x00\xff\x01",
        "str": "héllo",
        "ts": datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1_700_000_000_123),
        "id": ident,
    }
    assert frame.payload == b"{}"


def test_encode_frame_round_trips() -> None:
    headers: dict[str, HeaderValue] = {
        ":message-type": "event",
        ":event-type": "contentBlockDelta",
        "yes": True,
        "no": False,
        "small": -7,
        "large": 1 << 40,
        "blob": b"\x01\x02",
        "when": datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC),
        "uuid": uuid.UUID(int=42),
    }
    payload = b'{"contentBlockIndex":0,"delta":{"text":"hi"},"p":"abc"}'
    encoded = encode_frame(headers, payload)
    (frame,) = decode_frames(encoded)
    assert frame == Frame(headers, payload)
    assert frame.event_type == "contentBlockDelta"
    assert decode_frames(encode_frame({}, b"")) == [Frame({}, b"")]


def test_encode_frame_matches_a_hand_built_frame() -> None:
    header_bytes = raw_header(b":event-type", 7, struct.pack(">H", 8) + b"metadata")
    assert encode_frame({":event-type": "metadata"}, b"{}") == raw_frame(header_bytes, b"{}")


def test_encode_frame_rejects_unencodable_headers() -> None:
    with pytest.raises(ValueError):
        encode_frame({"": "x"}, b"")
    with pytest.raises(ValueError):
        encode_frame({"n" * 256: "x"}, b"")
    with pytest.raises(ValueError):
        encode_frame({"big": "x" * 70000}, b"")


def test_frame_type_properties() -> None:
    exception = Frame(
        {":message-type": "exception", ":exception-type": "throttlingException"}, b"{}"
    )
    assert exception.message_type == "exception"
    assert exception.exception_type == "throttlingException"
    assert exception.event_type is None
    error = Frame({":message-type": "error", ":error-code": "E1", ":error-message": "bad"}, b"")
    assert (error.message_type, error.error_code, error.error_message) == ("error", "E1", "bad")
    assert Frame({":event-type": 5}, b"").event_type is None


# --- malformed frames ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header_bytes", "message"),
    [
        (raw_header(b"x", 10, b""), "unknown type"),
        (raw_header(b"x", 255, b""), "unknown type"),
        (raw_header(b"x", 4, b"\x00\x01"), "truncated"),
        (raw_header(b"x", 5, b"\x00"), "truncated"),
        (raw_header(b"x", 7, b"\x00"), "truncated"),
        (raw_header(b"x", 7, b"\x00\x09abc"), "truncated"),
        (raw_header(b"x", 6, b"\x00\x02a"), "truncated"),
        (raw_header(b"x", 9, b"\x00" * 15), "truncated"),
        (b"\x05ab", "does not fit"),
        (b"\x00\x07", "empty"),
        (raw_header(b"\xff", 0, b""), "UTF-8"),
        (raw_header(b"x", 7, b"\x00\x01\xff"), "UTF-8"),
        (raw_header(b"x", 8, struct.pack(">q", 1 << 62)), "out of range"),
    ],
)
def test_malformed_headers_raise_event_stream_error(header_bytes: bytes, message: str) -> None:
    with pytest.raises(EventStreamError, match=message) as caught:
        decode_frames(raw_frame(header_bytes, b"payload"))
    assert not isinstance(caught.value, ChecksumError)


def prelude(total: int, headers_len: int) -> bytes:
    head = struct.pack(">II", total, headers_len)
    return head + struct.pack(">I", zlib.crc32(head))


@pytest.mark.parametrize(
    ("total", "headers_len", "message"),
    [(15, 0, "shorter"), (0, 0, "shorter"), (20, 5, "does not fit"), (100, 0xFFFFFFFF, "fit")],
)
def test_impossible_lengths_raise_on_the_prelude(
    total: int, headers_len: int, message: str
) -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(EventStreamError, match=message):
        decoder.feed(prelude(total, headers_len))
    assert decoder.pending == 0


def test_frame_over_the_bound_is_rejected_before_buffering() -> None:
    decoder = EventStreamDecoder(max_frame=1024)
    assert decoder.feed(prelude(2000, 0)[:11]) == []
    with pytest.raises(EventStreamError, match="exceeds"):
        decoder.feed(prelude(2000, 0)[11:])
    assert decoder.pending == 0
    frame = encode_frame({"a": "b"}, b"x" * 900)
    assert decode_frames(frame, max_frame=1024)[0].payload == b"x" * 900


def test_bad_message_crc() -> None:
    frame = bytearray(encode_frame({"a": "b"}, b"payload"))
    frame[-1] ^= 0xFF
    with pytest.raises(ChecksumError, match="message"):
        decode_frames(bytes(frame))


def test_bad_prelude_crc() -> None:
    frame = bytearray(encode_frame({"a": "b"}, b"payload"))
    frame[9] ^= 0xFF
    with pytest.raises(ChecksumError, match="prelude"):
        EventStreamDecoder().feed(bytes(frame[:12]))


def test_pending_and_several_frames_per_chunk() -> None:
    frames = [encode_frame({":event-type": str(i)}, b"p" * i) for i in range(5)]
    stream = b"".join(frames)
    decoder = EventStreamDecoder()
    assert decoder.feed(stream[:10]) == []
    assert decoder.pending == 10
    got = decoder.feed(stream[10:-3])
    assert [frame.event_type for frame in got] == ["0", "1", "2", "3"]
    assert decoder.pending == len(frames[-1]) - 3
    assert [frame.payload for frame in decoder.feed(stream[-3:])] == [b"pppp"]
    assert decoder.pending == 0
    assert decoder.feed(b"") == []


def test_invalid_bound() -> None:
    with pytest.raises(ValueError):
        EventStreamDecoder(max_frame=15)
