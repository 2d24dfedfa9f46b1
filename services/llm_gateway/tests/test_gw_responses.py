"""OpenAI SDK Responses API: pass-through to OpenAI, translated to Anthropic and Chat upstreams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply, ToolCall

CLIENT_KEY = "sk-responses-client"
TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
MODELS = [
    ("gpt-4o-mini", "/v1/responses"),
    ("claude-sonnet-4-20250514", "/v1/messages"),
    ("llama-3.1-8b-instant", "/openai/v1/chat/completions"),
]


PROVIDERS = {
    "openai/gpt-4o-mini": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "groq/llama-3.1-8b-instant": "sk-groq",
}


@pytest.fixture(scope="module")
def client(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[openai.OpenAI]:
    config = gateway_config(fake_upstream.url, PROVIDERS, default="openai/gpt-4o-mini")
    with start_gateway(config).openai_sdk(CLIENT_KEY) as sdk:
        yield sdk


def assert_clean(fake: FakeUpstream, path: str) -> None:
    assert fake.last_request.raw_path == path
    for request in fake.requests:
        assert CLIENT_KEY not in json.dumps(request.headers)


@pytest.mark.parametrize(("model", "path"), MODELS)
def test_gw_responses_plain(
    client: openai.OpenAI, fake_upstream: FakeUpstream, model: str, path: str
) -> None:
    fake_upstream.enqueue(Reply(text="Hi there"))
    response = client.responses.create(model=model, input="hello", instructions="Be kind.")
    assert response.output_text == "Hi there"
    assert response.status == "completed"
    assert response.usage is not None and response.usage.output_tokens > 0
    assert_clean(fake_upstream, path)
    body = fake_upstream.last_request.json
    if path == "/v1/responses":
        assert body["input"] == "hello"
        assert body["instructions"] == "Be kind."
    else:
        assert "Be kind." in json.dumps(body)


@pytest.mark.parametrize(("model", "path"), MODELS)
def test_gw_responses_stream(
    client: openai.OpenAI, fake_upstream: FakeUpstream, model: str, path: str
) -> None:
    fake_upstream.enqueue(Reply(text="red green blue"))
    deltas: list[str] = []
    completed = None
    with client.responses.stream(model=model, input="colours?") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
            elif event.type == "response.completed":
                completed = event.response
    assert "".join(deltas) == "red green blue"
    assert completed is not None and completed.output_text == "red green blue"
    assert_clean(fake_upstream, path)


@pytest.mark.parametrize(("model", "path"), MODELS)
@pytest.mark.parametrize("stream", [False, True])
def test_gw_responses_tools(
    client: openai.OpenAI, fake_upstream: FakeUpstream, model: str, path: str, stream: bool
) -> None:
    fake_upstream.enqueue(
        Reply(
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Lima"}),
                ToolCall(name="get_weather", arguments={"city": "Cairo"}),
            ]
        )
    )
    if stream:
        with client.responses.stream(model=model, input="weather?", tools=[TOOL]) as events:
            response = events.get_final_response()
    else:
        response = client.responses.create(model=model, input="weather?", tools=[TOOL])
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_weather", {"city": "Lima"}),
        ("get_weather", {"city": "Cairo"}),
    ]
    assert all(c.call_id for c in calls)
    assert_clean(fake_upstream, path)
