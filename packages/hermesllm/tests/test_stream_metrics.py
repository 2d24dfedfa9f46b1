"""Stream metrics: first-token detection, usage and output estimates for every upstream API.

Events are fed as wire bytes (SSE events, or event-stream frames for Bedrock) to a
`StreamMeter`; the metrics a translated or passed-through stream reports must agree with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hermesllm.apis import ClientApi, UpstreamApi, same_api
from hermesllm.eventstream import decode_frames, encode_frame
from hermesllm.sse import encode_event
from hermesllm.stream_metrics import StreamMeter, estimate_output_tokens
from hermesllm.streaming import new_stream_translator
from hermesllm.usage import Usage
from plano_testkit.bedrock_recordings import SOURCES, recording

CHAT = UpstreamApi.CHAT
MESSAGES = UpstreamApi.MESSAGES
RESPONSES = UpstreamApi.RESPONSES
BEDROCK = UpstreamApi.BEDROCK_CONVERSE
GEMINI = UpstreamApi.GEMINI

STREAMS = Path(__file__).resolve().parent / "streams"
STREAM_FILES = {
    CHAT: "chat",
    MESSAGES: "anthropic",
    RESPONSES: "responses",
    GEMINI: "gemini",
    BEDROCK: "bedrock",
}


def wire(upstream: UpstreamApi, event: dict[str, Any], event_type: str | None = None) -> bytes:
    """One event as the upstream sends it (Anthropic and Responses name their SSE events)."""
    body = json.dumps(event, separators=(",", ":"))
    if upstream is BEDROCK:
        headers = {":message-type": "event", ":event-type": event_type or ""}
        return encode_frame(headers, body.encode())
    name = event.get("type") if upstream in (MESSAGES, RESPONSES) else None
    return encode_event(body, name if isinstance(name, str) else None)


def meter_of(
    upstream: UpstreamApi, *events: dict[str, Any], event_type: str | None = None
) -> StreamMeter:
    meter = StreamMeter(upstream)
    for event in events:
        meter.feed(wire(upstream, event, event_type))
    return meter


def chat_delta(**delta: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


@pytest.mark.parametrize(
    ("upstream", "event", "event_type", "expected"),
    [
        (CHAT, chat_delta(role="assistant", content=""), None, False),
        (CHAT, chat_delta(content="Hi"), None, True),
        (CHAT, chat_delta(reasoning_content="hmm"), None, True),
        (CHAT, chat_delta(reasoning="hmm"), None, True),
        (CHAT, chat_delta(refusal="no"), None, True),
        (
            CHAT,
            chat_delta(tool_calls=[{"index": 0, "id": "c1", "function": {"name": "f"}}]),
            None,
            True,
        ),
        (CHAT, {"choices": [], "usage": {"prompt_tokens": 1}}, None, False),
        (CHAT, {"choices": [{"delta": {}, "finish_reason": "stop"}]}, None, False),
        (MESSAGES, {"type": "message_start", "message": {}}, None, False),
        (
            MESSAGES,
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}},
            None,
            False,
        ),
        (
            MESSAGES,
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
            },
            None,
            True,
        ),
        (
            MESSAGES,
            {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}},
            None,
            True,
        ),
        (
            MESSAGES,
            {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "x"}},
            None,
            True,
        ),
        (
            MESSAGES,
            {"type": "content_block_delta", "delta": {"type": "signature_delta", "signature": "s"}},
            None,
            False,
        ),
        (MESSAGES, {"type": "ping"}, None, False),
        (BEDROCK, {"role": "assistant", "p": "abc"}, "messageStart", False),
        (BEDROCK, {"contentBlockIndex": 0, "delta": {"text": "x"}}, "contentBlockDelta", True),
        (
            BEDROCK,
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "x"}}},
            "contentBlockDelta",
            True,
        ),
        (
            BEDROCK,
            {"contentBlockIndex": 1, "start": {"toolUse": {"name": "f", "toolUseId": "t"}}},
            "contentBlockStart",
            True,
        ),
        (BEDROCK, {"usage": {"inputTokens": 1}, "metrics": {}}, "metadata", False),
        (GEMINI, {"candidates": [{"content": {"parts": [{"text": "x"}]}}]}, None, True),
        (
            GEMINI,
            {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {}}}]}}]},
            None,
            True,
        ),
        (GEMINI, {"candidates": [{"finishReason": "STOP"}], "usageMetadata": {}}, None, False),
        (RESPONSES, {"type": "response.created", "response": {}}, None, False),
        (RESPONSES, {"type": "response.output_text.delta", "delta": "x"}, None, True),
        (RESPONSES, {"type": "response.reasoning_summary_text.delta", "delta": "x"}, None, True),
        (
            RESPONSES,
            {"type": "response.output_item.added", "item": {"type": "function_call", "name": "f"}},
            None,
            True,
        ),
        (
            RESPONSES,
            {"type": "response.output_item.added", "item": {"type": "message"}},
            None,
            False,
        ),
    ],
)
def test_first_token(
    upstream: UpstreamApi, event: dict[str, Any], event_type: str | None, expected: bool
) -> None:
    assert meter_of(upstream, event, event_type=event_type).first_token_seen is expected


def test_a_tool_call_counts_from_its_start_not_its_argument_fragments() -> None:
    args = {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "{"}
    assert not meter_of(RESPONSES, args).first_token_seen
    added = {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"type": "function_call", "call_id": "c", "name": "f"},
    }
    assert meter_of(RESPONSES, added, args).first_token_seen


def test_odd_shapes_never_raise_and_are_skipped() -> None:
    odd: list[dict[str, Any]] = [
        {"choices": "x"},
        {"choices": [None, 3, {"delta": []}]},
        {"type": "content_block_delta", "delta": []},
        {"candidates": [{"content": {"parts": [1, None]}}]},
        {"usage": [], "usageMetadata": 3, "type": "response.completed", "response": []},
        {"type": "message_delta", "usage": {"output_tokens": "many"}},
    ]
    text = {
        CHAT: chat_delta(content="ok"),
        MESSAGES: {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "ok"}},
        RESPONSES: {"type": "response.output_text.delta", "delta": "ok"},
        GEMINI: {"candidates": [{"content": {"parts": [{"text": "ok"}]}}]},
        BEDROCK: {"contentBlockIndex": 0, "delta": {"text": "ok"}},
    }
    for upstream in UpstreamApi:
        meter = StreamMeter(upstream)
        for event in odd:
            meter.feed(wire(upstream, event, "contentBlockDelta"))
        meter.feed(b"data: not json\n\n" if upstream is not BEDROCK else b"\x00" * 3)
        assert not meter.first_token_seen
        assert meter.output_chars == 0
        assert meter.usage in (None, Usage())  # a chat `usage` object with no known count
        if upstream is not BEDROCK:  # a corrupt frame stops the reading of a Bedrock stream
            meter.feed(wire(upstream, text[upstream], "contentBlockDelta"))
            assert meter.first_token_seen, upstream
            assert meter.output_chars == 2


def test_output_chars() -> None:
    assert meter_of(CHAT, chat_delta(content="ab", reasoning_content="c")).output_chars == 3
    call = {"index": 0, "function": {"name": "get", "arguments": '{"a"'}}
    assert meter_of(CHAT, chat_delta(tool_calls=[call])).output_chars == len('get{"a"')
    json_delta = {
        "type": "content_block_delta",
        "delta": {"type": "input_json_delta", "partial_json": "{}"},
    }
    assert meter_of(MESSAGES, json_delta).output_chars == 2
    start = {"contentBlockIndex": 1, "start": {"toolUse": {"name": "f", "toolUseId": "t"}}}
    assert meter_of(BEDROCK, start, event_type="contentBlockStart").output_chars == 1
    fragment = {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"x'}}}
    assert meter_of(BEDROCK, fragment, event_type="contentBlockDelta").output_chars == 3
    parts = [{"text": "hi"}, {"functionCall": {"name": "f", "args": {"a": 1}}}]
    gemini = {"candidates": [{"content": {"parts": parts}}]}
    assert meter_of(GEMINI, gemini).output_chars == len('hif{"a":1}')
    delta = {"type": "response.output_text.delta", "delta": "yo"}
    done = {"type": "response.output_text.done", "text": "yo"}
    assert meter_of(RESPONSES, delta, done).output_chars == 2


def test_chat_usage_chunk() -> None:
    event = {
        "choices": [],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 60},
            "completion_tokens_details": {"reasoning_tokens": 5},
        },
    }
    assert meter_of(CHAT, event).usage == Usage(100, 20, 60, 0, 5)
    assert meter_of(CHAT, {"choices": [], "usage": None}).usage is None
    alt = {"usage": {"prompt_tokens": 10, "completion_tokens": 2, "cache_read_input_tokens": 4}}
    assert meter_of(CHAT, alt).usage == Usage(10, 2, 4)


def test_anthropic_usage_merges_message_start_and_message_delta() -> None:
    start = {
        "type": "message_start",
        "message": {
            "usage": {
                "input_tokens": 10,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 5,
                "output_tokens": 1,
            }
        },
    }
    assert meter_of(MESSAGES, start).usage == Usage(115, 1, 100, 5)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 42},
    }
    assert meter_of(MESSAGES, start, delta).usage == Usage(115, 42, 100, 5)
    assert meter_of(MESSAGES, delta).usage == Usage(0, 42)
    updated = {"type": "message_delta", "usage": {"input_tokens": 12, "output_tokens": 50}}
    assert meter_of(MESSAGES, start, updated).usage == Usage(117, 50, 100, 5)
    meter = meter_of(MESSAGES, start, delta, {"type": "message_stop"})
    assert meter.usage == Usage(115, 42, 100, 5)
    assert meter.ended
    assert meter.stop_reason == "end_turn"


def test_bedrock_metadata_usage() -> None:
    body = {
        "usage": {
            "inputTokens": 10,
            "outputTokens": 7,
            "cacheReadInputTokens": 30,
            "cacheWriteInputTokens": 2,
            "totalTokens": 49,
        },
        "metrics": {"latencyMs": 5},
    }
    assert meter_of(BEDROCK, body, event_type="metadata").usage == Usage(42, 7, 30, 2)
    assert meter_of(BEDROCK, body, event_type="contentBlockDelta").usage is None


def test_gemini_usage_metadata() -> None:
    event = {
        "candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}],
        "usageMetadata": {
            "promptTokenCount": 50,
            "candidatesTokenCount": 10,
            "thoughtsTokenCount": 4,
            "cachedContentTokenCount": 20,
            "totalTokenCount": 64,
        },
    }
    assert meter_of(GEMINI, event).usage == Usage(50, 14, 20, 0, 4)
    assert meter_of(GEMINI, {"candidates": []}).usage is None


def test_responses_final_event_usage() -> None:
    usage = {
        "input_tokens": 30,
        "input_tokens_details": {"cached_tokens": 10},
        "output_tokens": 9,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 39,
    }
    for kind in ("response.completed", "response.incomplete", "response.failed"):
        event = {"type": kind, "response": {"id": "resp_1", "usage": usage}}
        meter = meter_of(RESPONSES, event)
        assert meter.usage == Usage(30, 9, 10, 0, 3), kind
        assert meter.ended
    created = {"type": "response.created", "response": {"usage": None}}
    assert meter_of(RESPONSES, created).usage is None


def test_estimate_output_tokens() -> None:
    assert estimate_output_tokens(0) == 0
    assert estimate_output_tokens(-3) == 0
    assert estimate_output_tokens(1) == 1
    assert estimate_output_tokens(4) == 1
    assert estimate_output_tokens(5) == 2
    assert estimate_output_tokens(400) == 100


def first_token_index(upstream: UpstreamApi, chunks: list[bytes]) -> int | None:
    meter = StreamMeter(upstream)
    for index, chunk in enumerate(chunks):
        meter.feed(chunk)
        if meter.first_token_seen:
            return index
    return None


def test_meter_on_a_chat_stream_without_usage() -> None:
    events = [
        chat_delta(role="assistant", content=""),
        chat_delta(content="Hello"),
        chat_delta(content=", world!"),
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
    ]
    assert first_token_index(CHAT, [wire(CHAT, event) for event in events]) == 1
    meter = meter_of(CHAT, *events)
    assert meter.usage is None
    assert meter.output_chars == 13
    assert meter.estimated_output_tokens == 4
    assert meter.stop_reason == "end_turn"
    assert not meter.ended
    meter.feed(b"data: [DONE]\n\n")
    assert meter.ended


def test_meter_on_an_anthropic_stream() -> None:
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"usage": {"input_tokens": 9, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 3},
        },
        {"type": "message_stop"},
    ]
    assert first_token_index(MESSAGES, [wire(MESSAGES, event) for event in events]) == 2
    assert meter_of(MESSAGES, *events).usage == Usage(9, 3)


def test_meter_reads_an_unterminated_last_event_at_close() -> None:
    meter = StreamMeter(CHAT)
    meter.feed(b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}')
    assert meter.usage is None
    meter.close()
    assert meter.usage == Usage(3, 2)


@pytest.mark.parametrize(
    ("name", "input_tokens", "output_tokens"),
    [("converse_stream_text.bin", 19, 500), ("converse_stream_tools.bin", 742, 539)],
)
@pytest.mark.parametrize("source", SOURCES)
def test_meter_on_bedrock_recordings(
    source: str, name: str, input_tokens: int, output_tokens: int
) -> None:
    data = recording(source, name)
    frames = [encode_frame(frame.headers, frame.payload) for frame in decode_frames(data)]
    assert first_token_index(BEDROCK, frames) == 1
    meter = StreamMeter(BEDROCK)
    for start in range(0, len(data), 1000):
        meter.feed(data[start : start + 1000])
    assert meter.usage == Usage(input_tokens, output_tokens)
    assert meter.ended
    assert meter.estimated_output_tokens > 0


def recorded(upstream: UpstreamApi, scenario: str, *, drop_usage: bool = False) -> bytes:
    """A recorded-shape stream, optionally with every usage report renamed away."""
    name = STREAM_FILES[upstream]
    text = (STREAMS / f"{name}_{scenario}.{'jsonl' if upstream is BEDROCK else 'sse'}").read_text()
    if drop_usage:
        for key in ("usage", "usageMetadata"):
            text = text.replace(f'"{key}":', f'"x_{key}":')
    if upstream is not BEDROCK:
        return text.encode()
    frames = []
    for line in text.splitlines():
        message_type, kind, payload = json.loads(line)
        headers = {":message-type": message_type, ":event-type": kind}
        frames.append(encode_frame(headers, json.dumps(payload).encode()))
    return b"".join(frames)


@pytest.mark.parametrize("scenario", ["text", "thinking", "tools", "mixed"])
@pytest.mark.parametrize("upstream", sorted(STREAM_FILES, key=str))
def test_translators_report_the_meters_metrics(upstream: UpstreamApi, scenario: str) -> None:
    """Translated and passed-through streams count first token, usage and output alike."""
    for drop_usage in (False, True):
        data = recorded(upstream, scenario, drop_usage=drop_usage)
        meter = StreamMeter(upstream)
        meter.feed(data)
        meter.close()
        assert meter.first_token_seen
        assert meter.output_chars > 0
        assert (meter.usage is None) is drop_usage
        for client in ClientApi:
            translator = new_stream_translator(upstream, client, model="m")
            translator.feed(data)
            translator.finish()
            kind = "pass-through" if same_api(client, upstream) else "translated"
            assert translator.first_token_seen, (client, kind)
            assert translator.usage == meter.usage, (client, kind)
            assert translator.estimated_output_tokens == meter.estimated_output_tokens, (
                client,
                kind,
            )
