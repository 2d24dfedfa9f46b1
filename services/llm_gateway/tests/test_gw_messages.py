"""Anthropic SDK messages through the gateway to Anthropic, OpenAI, Bedrock and Gemini."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply, ToolCall

CLIENT_KEY = "sk-ant-client-secret"
TOOL: Any = {
    "name": "get_weather",
    "description": "Weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
MODELS = [
    ("claude-sonnet-4-20250514", "/v1/messages"),
    ("gpt-4o-mini", "/v1/chat/completions"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/"),
    ("gemini-2.0-flash", "/v1beta/models/gemini-2.0-flash:"),
]


PROVIDERS = {
    "openai/gpt-4o-mini": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0": "bedrock-api-key",
    "gemini/gemini-2.0-flash": "sk-gemini",
}


@pytest.fixture(scope="module")
def client(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[anthropic.Anthropic]:
    config = gateway_config(
        fake_upstream.url, PROVIDERS, default="anthropic/claude-sonnet-4-20250514"
    )
    with start_gateway(config).anthropic_sdk(CLIENT_KEY) as sdk:
        yield sdk


def assert_clean(fake: FakeUpstream, path_start: str) -> None:
    seen = fake.last_request
    assert seen.raw_path.startswith(path_start)
    for request in fake.requests:
        assert CLIENT_KEY not in json.dumps(request.headers)


@pytest.mark.parametrize(("model", "path"), MODELS)
def test_gw_messages_plain(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str, path: str
) -> None:
    fake_upstream.enqueue(Reply(text="Bonjour"))
    message = client.messages.create(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "Bonjour"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens > 0
    assert_clean(fake_upstream, path)


@pytest.mark.parametrize(("model", "path"), MODELS)
def test_gw_messages_stream(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str, path: str
) -> None:
    fake_upstream.enqueue(Reply(text="alpha beta gamma"))
    with client.messages.stream(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "alpha beta gamma"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0
    assert_clean(fake_upstream, path)


@pytest.mark.parametrize(("model", "path"), MODELS)
@pytest.mark.parametrize("stream", [False, True])
def test_gw_messages_tools(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str, path: str, stream: bool
) -> None:
    fake_upstream.enqueue(
        Reply(
            text="Let me check.",
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Paris"}),
                ToolCall(name="get_weather", arguments={"city": "Oslo"}),
            ],
        )
    )
    kwargs: Any = {
        "model": model,
        "max_tokens": 128,
        "tools": [TOOL],
        "messages": [{"role": "user", "content": "weather?"}],
    }
    if stream:
        with client.messages.stream(**kwargs) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    uses = [block for block in message.content if block.type == "tool_use"]
    assert [(u.name, u.input) for u in uses] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Oslo"}),
    ]
    assert all(u.id for u in uses)
    assert message.stop_reason == "tool_use"
    texts = [block.text for block in message.content if block.type == "text"]
    assert texts == ["Let me check."]
    assert "get_weather" in json.dumps(fake_upstream.last_request.json)
    assert_clean(fake_upstream, path)


@pytest.mark.parametrize(("model", "path"), MODELS[:3])
@pytest.mark.parametrize("stream", [False, True])
def test_gw_messages_thinking(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str, path: str, stream: bool
) -> None:
    fake_upstream.enqueue(Reply(text="42", thinking="Let me think about it"))
    kwargs: Any = {
        "model": model,
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "answer?"}],
    }
    if stream:
        with client.messages.stream(**kwargs) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    texts = [block.text for block in message.content if block.type == "text"]
    assert texts == ["42"]
    thinking = [block.thinking for block in message.content if block.type == "thinking"]
    assert thinking == ["Let me think about it"]
    assert_clean(fake_upstream, path)


def test_gw_messages_tool_result_roundtrip_to_openai(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream
) -> None:
    client.messages.create(
        model="gpt-4o-mini",
        max_tokens=64,
        system="Be brief.",
        tools=[TOOL],
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Rome"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}],
            },
        ],
    )
    body = fake_upstream.last_request.json
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert body["messages"][3]["tool_call_id"] == "toolu_1"
    assert fake_upstream.last_request.headers["authorization"] == "Bearer sk-openai"
