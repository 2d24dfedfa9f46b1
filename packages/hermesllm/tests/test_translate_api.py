"""Targeted behavior of the translation façade beyond the golden fixtures."""

import json
import re
from typing import Any

import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import RequestParseError, ResponseParseError, UnsupportedConversionError
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import (
    prepare_upstream_request,
    response_output_text,
    response_usage,
    translate_response,
)
from hermesllm.usage import Usage


def _prepare(body: dict[str, Any], client: ClientApi, upstream: UpstreamApi) -> dict[str, Any]:
    provider = {
        UpstreamApi.CHAT: ProviderId.OPENAI,
        UpstreamApi.MESSAGES: ProviderId.ANTHROPIC,
        UpstreamApi.RESPONSES: ProviderId.OPENAI,
        UpstreamApi.BEDROCK_CONVERSE: ProviderId.AMAZON_BEDROCK,
        UpstreamApi.GEMINI: ProviderId.GEMINI,
    }[upstream]
    raw = json.dumps(body).encode()
    result = prepare_upstream_request(raw, client, upstream, provider=provider, model="m")
    decoded: dict[str, Any] = json.loads(result)
    return decoded


USER = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "invalid chat completions request"),
        (b'{"messages": [{"role": "user", "content": 5}]}', "$.messages[0].content"),
        (b'{"messages": [{"role": "robot", "content": "x"}]}', "$.messages[0].role"),
        (b'{"model": "x"}', "messages"),
    ],
)
def test_malformed_chat_request_names_the_problem(body: bytes, fragment: str) -> None:
    with pytest.raises(RequestParseError, match=re.escape(fragment)):
        prepare_upstream_request(
            body, ClientApi.CHAT, UpstreamApi.MESSAGES, provider=ProviderId.ANTHROPIC, model="m"
        )


def test_pass_through_body_must_be_an_object() -> None:
    with pytest.raises(RequestParseError, match="JSON object"):
        prepare_upstream_request(
            b"[]", ClientApi.CHAT, UpstreamApi.CHAT, provider=ProviderId.OPENAI, model="m"
        )


@pytest.mark.parametrize("client", [ClientApi.CHAT, ClientApi.MESSAGES])
def test_only_responses_clients_reach_a_responses_upstream(client: ClientApi) -> None:
    body = {"model": "x", "max_tokens": 5, "messages": USER}
    with pytest.raises(UnsupportedConversionError, match="Responses"):
        _prepare(body, client, UpstreamApi.RESPONSES)


@pytest.mark.parametrize(
    ("max_tokens", "thinking"),
    [
        (None, {"type": "enabled", "budget_tokens": 16384}),
        (20000, {"type": "enabled", "budget_tokens": 16384}),
        (4000, {"type": "enabled", "budget_tokens": 3999}),
        (1000, None),
    ],
)
def test_thinking_budget_fits_under_max_tokens(
    max_tokens: int | None, thinking: dict[str, Any] | None
) -> None:
    body: dict[str, Any] = {"messages": USER, "reasoning_effort": "high"}
    if max_tokens is not None:
        body["max_completion_tokens"] = max_tokens
    result = _prepare(body, ClientApi.CHAT, UpstreamApi.MESSAGES)
    assert result.get("thinking") == thinking
    assert result["max_tokens"] > (thinking or {}).get("budget_tokens", 0)


def test_forced_tool_turns_thinking_off() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    body = {
        "messages": USER,
        "reasoning_effort": "low",
        "tools": [tool],
        "tool_choice": "required",
    }
    result = _prepare(body, ClientApi.CHAT, UpstreamApi.MESSAGES)
    assert "thinking" not in result
    assert result["tool_choice"] == {"type": "any"}


def test_unsigned_tool_turn_turns_thinking_off_but_signed_one_keeps_it() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    chat = {
        "reasoning_effort": "low",
        "messages": [
            *USER,
            {"role": "assistant", "tool_calls": [call], "reasoning_content": "hmm"},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
    }
    assert "thinking" not in _prepare(chat, ClientApi.CHAT, UpstreamApi.MESSAGES)
    anthropic = {
        "max_tokens": 8000,
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "messages": [
            *USER,
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "tool_use", "id": "c1", "name": "f", "input": {}},
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1"}]},
        ],
    }
    result = _prepare(anthropic, ClientApi.MESSAGES, UpstreamApi.BEDROCK_CONVERSE)
    thinking = {"type": "enabled", "budget_tokens": 2000}
    assert result["additionalModelRequestFields"] == {"thinking": thinking}


def test_tool_result_images_follow_the_tool_messages_in_chat() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}
    body = {
        "max_tokens": 100,
        "messages": [
            *USER,
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "shot"}]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": [image]},
                    {"type": "text", "text": "see"},
                ],
            },
        ],
    }
    messages = _prepare(body, ClientApi.MESSAGES, UpstreamApi.CHAT)["messages"]
    assert messages[2] == {"role": "tool", "tool_call_id": "t", "content": ""}
    assert messages[3]["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
        {"type": "text", "text": "see"},
    ]


def test_gemini_needs_the_call_a_tool_result_answers() -> None:
    body = {"messages": [*USER, {"role": "tool", "tool_call_id": "nope", "content": "x"}]}
    with pytest.raises(UnsupportedConversionError, match="'nope'"):
        _prepare(body, ClientApi.CHAT, UpstreamApi.GEMINI)


def test_responses_item_reference_cannot_be_translated() -> None:
    body = {"input": [{"type": "item_reference", "id": "msg_1"}]}
    with pytest.raises(UnsupportedConversionError, match="item_reference"):
        _prepare(body, ClientApi.RESPONSES, UpstreamApi.CHAT)


@pytest.mark.parametrize("upstream", list(UpstreamApi))
def test_same_api_response_is_byte_identical(upstream: UpstreamApi) -> None:
    body = b'{"id": "x",  "whatever": [1, 2, 3]}'
    for client in ClientApi:
        if client.value == upstream.value:
            assert translate_response(body, upstream, client, model="m") is body


def test_unparseable_upstream_response_is_a_typed_error() -> None:
    with pytest.raises(ResponseParseError, match=r"invalid messages response: .*\$\.content"):
        translate_response(b'{"content": 5}', UpstreamApi.MESSAGES, ClientApi.CHAT, model="m")


USAGES = [
    (
        UpstreamApi.CHAT,
        {
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 64},
                "completion_tokens_details": {"reasoning_tokens": 8},
            }
        },
        Usage(100, 20, 64, 0, 8),
    ),
    (
        UpstreamApi.CHAT,
        {"usage": {"prompt_tokens": 10, "completion_tokens": 2, "cache_read_input_tokens": 4}},
        Usage(10, 2, 4),
    ),
    (
        UpstreamApi.MESSAGES,
        {
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 50,
            }
        },
        Usage(160, 5, 100, 50),
    ),
    (
        UpstreamApi.RESPONSES,
        {
            "usage": {
                "input_tokens": 30,
                "output_tokens": 9,
                "total_tokens": 39,
                "input_tokens_details": {"cached_tokens": 16},
                "output_tokens_details": {"reasoning_tokens": 4},
            }
        },
        Usage(30, 9, 16, 0, 4),
    ),
    (
        UpstreamApi.BEDROCK_CONVERSE,
        {"usage": {"inputTokens": 7, "outputTokens": 3, "cacheReadInputTokens": 20}},
        Usage(27, 3, 20),
    ),
    (
        UpstreamApi.GEMINI,
        {
            "usageMetadata": {
                "promptTokenCount": 50,
                "candidatesTokenCount": 10,
                "thoughtsTokenCount": 30,
                "cachedContentTokenCount": 32,
            }
        },
        Usage(50, 40, 32, 0, 30),
    ),
]


@pytest.mark.parametrize(("upstream", "body", "usage"), USAGES)
def test_response_usage(upstream: UpstreamApi, body: dict[str, Any], usage: Usage) -> None:
    assert response_usage(json.dumps(body).encode(), upstream) == usage


@pytest.mark.parametrize("upstream", list(UpstreamApi))
def test_response_usage_absent_or_unreadable_is_none(upstream: UpstreamApi) -> None:
    assert response_usage(b"{}", upstream) is None
    assert response_usage(b"<html>", upstream) is None


def test_response_output_text_collects_text_reasoning_and_tool_calls() -> None:
    body = (
        b'{"id":"msg_1","type":"message","role":"assistant","model":"claude",'
        b'"content":[{"type":"thinking","thinking":"let me see","signature":"s"},'
        b'{"type":"text","text":"Sure."},'
        b'{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],'
        b'"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}'
    )
    text = response_output_text(body, UpstreamApi.MESSAGES)
    assert text.split("\n") == ["let me see", "Sure.", "get_weather", '{"city":"Paris"}']
