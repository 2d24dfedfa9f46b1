"""hermesllm's stream decoders read the fake's output, fed whole and in 1- and 7-byte pieces.

The fake encodes SSE and event-stream frames independently of hermesllm, so each side checks
the other.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hermesllm.eventstream import EventStreamDecoder
from hermesllm.sse import SseEvent, SseParser
from plano_testkit import FakeUpstream, Reply, ToolCall
from plano_testkit.eventstream import decode_frames
from plano_testkit.raw_client import post

TOOL = ToolCall(name="lookup", arguments={"term": "ünïcode ✓"}, id="id_1")
SCRIPT = Reply(thinking="Think ✓.", text="Ünïcode answer ✓", tool_calls=[TOOL])
USER = "respond with exactly: ignored"
STREAMS: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": (
        "/v1/chat/completions",
        {
            "model": "m",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": USER}],
        },
    ),
    "responses": ("/v1/responses", {"model": "m", "stream": True, "input": USER}),
    "messages": (
        "/v1/messages",
        {
            "model": "m",
            "max_tokens": 9,
            "stream": True,
            "messages": [{"role": "user", "content": USER}],
        },
    ),
    "gemini": (
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        {"contents": [{"role": "user", "parts": [{"text": USER}]}]},
    ),
}


def parse(raw: bytes, size: int) -> list[SseEvent]:
    parser = SseParser()
    events = [event for i in range(0, len(raw), size) for event in parser.feed(raw[i : i + size])]
    return events + parser.close()


@pytest.mark.parametrize("api", sorted(STREAMS))
def test_sse_streams_parse_the_same_in_any_pieces(fake: FakeUpstream, api: str) -> None:
    path, body = STREAMS[api]
    fake.enqueue(SCRIPT)
    raw = post(fake.url + path, body).body
    whole = parse(raw, len(raw))
    assert whole == parse(raw, 1) == parse(raw, 7)
    assert len(whole) > 5
    for event in whole:
        if event.data != "[DONE]":
            payload = json.loads(event.data)
            if event.event is not None:
                assert payload["type"] == event.event


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_bedrock_frames_decode_the_same_in_any_pieces(fake: FakeUpstream, size: int) -> None:
    fake.enqueue(SCRIPT)
    raw = post(fake.url + "/model/anthropic.claude-v2/converse-stream", {"messages": []}).body
    decoder = EventStreamDecoder()
    frames = [frame for i in range(0, len(raw), size) for frame in decoder.feed(raw[i : i + size])]
    assert decoder.pending == 0
    ours = decode_frames(raw)
    assert [(f.headers, f.payload) for f in frames] == [(f.headers, f.payload) for f in ours]
    assert [f.event_type for f in frames][:1] == ["messageStart"]
