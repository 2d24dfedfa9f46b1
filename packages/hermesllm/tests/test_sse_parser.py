"""SSE parser: specification vectors, chunk-boundary independence, bounds, encoding."""

from __future__ import annotations

import json

import pytest

from hermesllm.errors import SseBufferOverflowError
from hermesllm.sse import SseEvent, SseParser, encode_event


def parse_whole(raw: bytes, *, close: bool = True) -> list[SseEvent]:
    parser = SseParser()
    events = parser.feed(raw)
    if close:
        events += parser.close()
    return events


def parse_chunks(chunks: list[bytes]) -> list[SseEvent]:
    parser = SseParser()
    events: list[SseEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close()


def data_of(events: list[SseEvent]) -> list[str]:
    return [event.data for event in events]


# --- specification vectors -------------------------------------------------------------------


def test_several_data_lines_join_with_newline() -> None:
    events = parse_whole(b"data: YHOO\ndata: +2\ndata: 10\n\n")
    assert events == [SseEvent(None, "YHOO\n+2\n10")]


def test_comments_ids_and_optional_space() -> None:
    raw = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    assert parse_whole(raw) == [
        SseEvent(None, "first event", "1"),
        SseEvent(None, "second event", None),
        SseEvent(None, " third event", None),
    ]


def test_empty_data_fields() -> None:
    parser = SseParser()
    assert data_of(parser.feed(b"data\n\ndata\ndata\n\ndata:")) == ["", "\n"]


def test_space_after_colon_is_optional() -> None:
    assert data_of(parse_whole(b"data:test\n\ndata: test\n\n")) == ["test", "test"]


def test_event_field_names_the_event_and_resets_after_dispatch() -> None:
    raw = b"event: message_start\ndata: {}\n\ndata: plain\n\nevent:\ndata: x\n\n"
    assert parse_whole(raw) == [
        SseEvent("message_start", "{}"),
        SseEvent(None, "plain"),
        SseEvent(None, "x"),
    ]


def test_block_without_data_is_not_dispatched() -> None:
    assert parse_whole(b"event: ping\n\n: keep-alive\n\nid: 7\n\n") == []


def test_id_persists_and_nul_ids_are_ignored() -> None:
    raw = b"id: a\ndata: 1\n\ndata: 2\n\nid: b\x00c\ndata: 3\n\n"
    assert [event.id for event in parse_whole(raw)] == ["a", "a", "a"]


def test_retry_takes_digits_only() -> None:
    parser = SseParser()
    events = parser.feed(b"retry: 1500\ndata: a\n\nretry: 1x\ndata: b\n\nretry: 20\n\n")
    assert [event.retry for event in events] == [1500, None]
    assert parser.retry == 20


def test_unknown_fields_and_lines_without_colon_are_ignored() -> None:
    assert parse_whole(b"foo: bar\nnonsense\ndata: ok\n\n") == [SseEvent(None, "ok")]


def test_done_marker_is_ordinary_data() -> None:
    assert data_of(parse_whole(b'data: {"a":1}\n\ndata: [DONE]\n\n')) == ['{"a":1}', "[DONE]"]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_line_endings(newline: bytes) -> None:
    raw = newline.join([b"event: e", b"data: a", b"data: b", b"", b"data: c", b"", b""])
    assert parse_whole(raw) == [SseEvent("e", "a\nb"), SseEvent(None, "c")]


def test_mixed_line_endings() -> None:
    raw = b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"
    assert data_of(parse_whole(raw)) == ["a\nb\nc", "d"]


def test_cr_at_chunk_end_then_lf_is_one_line_ending() -> None:
    assert data_of(parse_chunks([b"data: a\r", b"\n", b"data: b\r", b"\ndata: c\r\n\r\n"])) == [
        "a\nb\nc"
    ]
    assert data_of(parse_chunks([b"data: a\r", b"\r", b"\n"])) == ["a"]


def test_bom_is_skipped_once_at_stream_start() -> None:
    bom = b"\xef\xbb\xbf"
    assert data_of(parse_whole(bom + b"data: x\n\n")) == ["x"]
    assert data_of(parse_chunks([bom[:1], bom[1:2], bom[2:] + b"data: x\n\n"])) == ["x"]
    # A second BOM is part of the field name, which is then unknown and ignored.
    assert data_of(parse_whole(bom + bom + b"data: x\n\ndata: y\n\n")) == ["y"]
    assert parse_chunks([bom[:2]]) == []


def test_invalid_utf8_is_replaced() -> None:
    assert parse_whole(b"event: \xffe\ndata: a\xc3(\n\n") == [SseEvent("\ufffde", "a\ufffd(")]


def test_close_dispatches_an_unterminated_event() -> None:
    parser = SseParser()
    assert parser.feed(b'data: {"usage":1}') == []
    assert parser.close() == [SseEvent(None, '{"usage":1}')]
    parser = SseParser()
    assert parser.feed(b"data: a\ndata: b\n") == []
    assert parser.close() == [SseEvent(None, "a\nb")]
    assert parser.close() == []


def test_close_with_nothing_pending() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\n\n") == [SseEvent(None, "a")]
    assert parser.close() == []


# --- chunk-boundary independence -------------------------------------------------------------

RECORDED = (
    "\ufeffevent: message_start\r\n"
    'data: {"type":"message_start","message":{"id":"msg_1","model":"claude","usage":'
    '{"input_tokens":12,"output_tokens":1}}}\r\n\r\n'
    ": ping comment\n\n"
    "event: content_block_delta\n"
    'data:{"type":"content_block_delta","index":0,"delta":{"type":"text_delta",'
    '"text":"Grüße, 世界 🌍 — naïve café"}}\n\n'
    "event: content_block_delta\r"
    'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    '"partial_json":"{\\"city\\": \\"Zürich\\"}"}}\r\r'
    "id: 42\nretry: 3000\n"
    "data: line one\ndata: line two 🎉\n\n"
    'data: {"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n'
    "data: [DONE]\n\n"
).encode()


def test_recorded_stream_parses_as_expected() -> None:
    events = parse_whole(RECORDED)
    assert [event.event for event in events] == [
        "message_start",
        "content_block_delta",
        "content_block_delta",
        None,
        None,
        None,
    ]
    assert json.loads(events[1].data)["delta"]["text"] == "Grüße, 世界 🌍 — naïve café"
    assert json.loads(json.loads(events[2].data)["delta"]["partial_json"]) == {"city": "Zürich"}
    assert events[3] == SseEvent(None, "line one\nline two 🎉", "42", 3000)
    assert events[-1].data == "[DONE]"


def test_every_split_offset_gives_identical_events() -> None:
    expected = parse_whole(RECORDED)
    for offset in range(len(RECORDED) + 1):
        assert parse_chunks([RECORDED[:offset], RECORDED[offset:]]) == expected, offset


def test_one_byte_chunks_give_identical_events() -> None:
    chunks = [RECORDED[i : i + 1] for i in range(len(RECORDED))]
    assert parse_chunks(chunks) == parse_whole(RECORDED)


def test_64_byte_chunks_at_every_start_offset_give_identical_events() -> None:
    expected = parse_whole(RECORDED)
    for first in range(64):
        chunks = [RECORDED[:first]]
        chunks += [RECORDED[i : i + 64] for i in range(first, len(RECORDED), 64)]
        assert parse_chunks(chunks) == expected, first


def test_split_inside_multibyte_character() -> None:
    raw = "data: 🌍\n\n".encode()
    for offset in range(len(raw) + 1):
        assert data_of(parse_chunks([raw[:offset], raw[offset:]])) == ["🌍"]


def test_unterminated_tail_matches_across_chunkings() -> None:
    raw = b"data: a\n\ndata: tail-without-blank-line"
    expected = parse_whole(raw)
    assert data_of(expected) == ["a", "tail-without-blank-line"]
    for offset in range(len(raw) + 1):
        assert parse_chunks([raw[:offset], raw[offset:]]) == expected


# --- buffer bound ----------------------------------------------------------------------------


def test_unterminated_line_over_the_bound_raises() -> None:
    parser = SseParser(max_buffer=100)
    parser.feed(b"data: " + b"x" * 90)
    with pytest.raises(SseBufferOverflowError):
        parser.feed(b"x" * 20)
    assert parser.pending == 0


def test_event_data_over_the_bound_raises() -> None:
    parser = SseParser(max_buffer=100)
    with pytest.raises(SseBufferOverflowError):
        for _ in range(20):
            parser.feed(b"data: 0123456789\n")
            assert parser.pending <= 100


def test_pending_counts_held_bytes_and_complete_events_are_not_held() -> None:
    parser = SseParser(max_buffer=100)
    assert parser.feed(b"data: 12345\n") == []
    assert parser.pending == len(b"data: 12345\n")
    assert parser.feed(b"id: 7\r\n") == []
    assert parser.pending == len(b"data: 12345\nid: 7\n")
    assert parser.feed(b"\ndata: ab") == [SseEvent(None, "12345", "7")]
    assert parser.pending == len(b"data: ab")
    big = b"data: " + b"y" * 500 + b"\n\n"
    parser = SseParser(max_buffer=100)
    assert data_of(parser.feed(big)) == ["y" * 500]
    assert parser.pending == 0


def test_default_bound_is_one_mebibyte() -> None:
    parser = SseParser()
    parser.feed(b"data: " + b"z" * ((1 << 20) - 6))
    with pytest.raises(SseBufferOverflowError):
        parser.feed(b"z")


def test_one_byte_feeding_of_a_large_event_is_linear() -> None:
    parser = SseParser()
    payload = b"data: " + b"q" * 200_000
    for i in range(len(payload)):
        parser.feed(payload[i : i + 1])
    assert data_of(parser.feed(b"\n\n")) == ["q" * 200_000]


def test_one_byte_feeding_of_a_many_line_event_is_linear() -> None:
    parser = SseParser()
    payload = b"data: ab\r\n" * 10_000
    for i in range(len(payload)):
        assert parser.feed(payload[i : i + 1]) == []
    assert parser.pending == len(payload) - 10_000
    assert data_of(parser.feed(b"\r\n")) == ["\n".join(["ab"] * 10_000)]


def test_invalid_bound() -> None:
    with pytest.raises(ValueError):
        SseParser(max_buffer=0)


# --- encoding --------------------------------------------------------------------------------


def test_encode_event_shapes() -> None:
    assert encode_event('{"a":1}') == b'data: {"a":1}\n\n'
    assert encode_event(b"[DONE]") == b"data: [DONE]\n\n"
    assert encode_event("{}", "message_stop") == b"event: message_stop\ndata: {}\n\n"
    assert encode_event("a\nb\r\nc\rd", "e") == b"event: e\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    assert encode_event("") == b"data: \n\n"


def test_encode_event_round_trips() -> None:
    cases = [("x", None), ("line1\nline2\n", "ev"), ("", "e"), (" lead", None), ("🎉", "ü")]
    for data, event in cases:
        assert parse_whole(encode_event(data, event)) == [SseEvent(event, data)]


def test_encode_event_rejects_line_breaks_in_event_name() -> None:
    with pytest.raises(ValueError):
        encode_event("{}", "a\nb")
