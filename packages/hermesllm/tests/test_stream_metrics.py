"""First-token detection, usage extraction and token estimates for every upstream API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hermesllm.apis import UpstreamApi
from hermesllm.eventstream import decode_frames
from hermesllm.stream_metrics import (
    StreamMeter,
    carries_first_token,
    estimate_output_tokens,
    output_text,
    usage_from_event,
)
from hermesllm.usage import Usage

CHAT = UpstreamApi.CHAT
MESSAGES = UpstreamApi.MESSAGES
RESPONSES = UpstreamApi.RESPONSES
BEDROCK = UpstreamApi.BEDROCK_CONVERSE
GEMINI = UpstreamApi.GEMINI

BEDROCK_FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "bedrock"


def chat_delta(**delta: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


@pytest.mark.parametrize(
    ("upstream", "event", "event_type", "expected"),
    [
        (CHAT, chat_delta(role="assistant", content=""), None, False),
        (CHAT, chat_delta(content="Hi"), None, True),
        (CHAT, chat_delta(reasoning_content="hmm"), None, True),
        (CHAT, chat_delta(reasoning="hmm"), None, True),
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
        (BEDROCK, {"contentBlockDelta": {"delta": {"text": "wrapped"}}}, None, True),
        (BEDROCK, {"metadata": {"usage": {}}}, None, False),
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
        (RESPONSES, {"type": "response.function_call_arguments.delta", "delta": "{"}, None, True),
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
def test_carries_first_token(
    upstream: UpstreamApi, event: dict[str, Any], event_type: str | None, expected: bool
) -> None:
    assert carries_first_token(upstream, event, event_type) is expected


def test_odd_shapes_never_raise() -> None:
    odd: list[dict[str, Any]] = [
        {},
        {"choices": "x"},
        {"choices": [None, 3, {"delta": []}]},
        {"type": "content_block_delta", "delta": None},
        {"candidates": [{"content": {"parts": [1, None]}}]},
        {"usage": [], "usageMetadata": 3, "type": "response.completed", "response": []},
        {"type": "message_delta", "usage": {"output_tokens": "many"}},
    ]
    for upstream in UpstreamApi:
        for event in odd:
            assert carries_first_token(upstream, event) is False
            assert output_text(upstream, event) == ""
            usage = usage_from_event(upstream, event)
            assert usage is None or usage == Usage()


def test_output_text() -> None:
    assert output_text(CHAT, chat_delta(content="ab", reasoning_content="c")) == "abc"
    call = {"index": 0, "function": {"name": "get", "arguments": '{"a"'}}
    assert output_text(CHAT, chat_delta(tool_calls=[call])) == 'get{"a"'
    assert (
        output_text(
            MESSAGES,
            {
                "type": "content_block_delta",
                "delta": {"type": "input_json_delta", "partial_json": "{}"},
            },
        )
        == "{}"
    )
    start = {"contentBlockIndex": 1, "start": {"toolUse": {"name": "f", "toolUseId": "t"}}}
    assert output_text(BEDROCK, start, "contentBlockStart") == "f"
    assert output_text(BEDROCK, {"delta": {"toolUse": {"input": '{"x'}}}, "contentBlockDelta") == (
        '{"x'
    )
    gemini = {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": "hi"}, {"functionCall": {"name": "f", "args": {"a": 1}}}]
                }
            }
        ]
    }
    assert output_text(GEMINI, gemini) == 'hif{"a":1}'
    assert output_text(RESPONSES, {"type": "response.output_text.delta", "delta": "yo"}) == "yo"
    assert output_text(RESPONSES, {"type": "response.output_text.done", "text": "yo"}) == ""


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
    assert usage_from_event(CHAT, event) == Usage(100, 20, 60, 0, 5)
    assert usage_from_event(CHAT, {"choices": [], "usage": None}) is None
    alt = {"usage": {"prompt_tokens": 10, "completion_tokens": 2, "cache_read_input_tokens": 4}}
    assert usage_from_event(CHAT, alt) == Usage(10, 2, 4)


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
    first = usage_from_event(MESSAGES, start)
    assert first == Usage(115, 1, 100, 5)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 42},
    }
    assert usage_from_event(MESSAGES, delta, previous=first) == Usage(115, 42, 100, 5)
    assert usage_from_event(MESSAGES, delta) == Usage(0, 42)
    updated = {"type": "message_delta", "usage": {"input_tokens": 12, "output_tokens": 50}}
    assert usage_from_event(MESSAGES, updated, previous=first) == Usage(117, 50, 100, 5)
    assert usage_from_event(MESSAGES, {"type": "message_stop"}, previous=first) is None


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
    assert usage_from_event(BEDROCK, body, "metadata") == Usage(42, 7, 30, 2)
    assert usage_from_event(BEDROCK, {"metadata": body}) == Usage(42, 7, 30, 2)
    assert usage_from_event(BEDROCK, body, "contentBlockDelta") is None


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
    assert usage_from_event(GEMINI, event) == Usage(50, 14, 20, 0, 4)
    assert usage_from_event(GEMINI, {"candidates": []}) is None


def test_responses_completed_usage() -> None:
    usage = {
        "input_tokens": 30,
        "input_tokens_details": {"cached_tokens": 10},
        "output_tokens": 9,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 39,
    }
    for kind in ("response.completed", "response.incomplete", "response.failed"):
        event = {"type": kind, "response": {"id": "resp_1", "usage": usage}}
        assert usage_from_event(RESPONSES, event) == Usage(30, 9, 10, 0, 3)
    created = {"type": "response.created", "response": {"usage": None}}
    assert usage_from_event(RESPONSES, created) is None


def test_estimate_output_tokens() -> None:
    assert estimate_output_tokens(0) == 0
    assert estimate_output_tokens(-3) == 0
    assert estimate_output_tokens(1) == 1
    assert estimate_output_tokens(4) == 1
    assert estimate_output_tokens(5) == 2
    assert estimate_output_tokens(400) == 100


def test_stream_meter_on_a_chat_stream_without_usage() -> None:
    meter = StreamMeter(CHAT)
    events = [
        chat_delta(role="assistant", content=""),
        chat_delta(content="Hello"),
        chat_delta(content=", world!"),
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
    ]
    assert [meter.observe(event) for event in events] == [False, True, False, False]
    assert meter.first_token_seen
    assert meter.usage is None
    assert meter.output_chars == 13
    assert meter.final_usage() == Usage(output_tokens=4)


def test_stream_meter_on_an_anthropic_stream() -> None:
    meter = StreamMeter(MESSAGES)
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
    assert [meter.observe(event) for event in events] == [False, False, True, False, False, False]
    assert meter.final_usage() == Usage(9, 3)


@pytest.mark.parametrize(
    ("name", "input_tokens", "output_tokens"),
    [("converse_stream_text.bin", 19, 500), ("converse_stream_tools.bin", 742, 539)],
)
def test_stream_meter_on_bedrock_recordings(
    name: str, input_tokens: int, output_tokens: int
) -> None:
    path = BEDROCK_FIXTURES / name
    if not path.exists():
        pytest.skip(f"Bedrock recording {path} is absent")
    meter = StreamMeter(BEDROCK)
    firsts = [
        index
        for index, frame in enumerate(decode_frames(path.read_bytes()))
        if meter.observe(json.loads(frame.payload), frame.event_type)
    ]
    assert firsts == [1]
    assert meter.final_usage() == Usage(input_tokens, output_tokens)
    assert estimate_output_tokens(meter.output_chars) > 0
