"""POST /v1/messages/count_tokens through the Anthropic SDK: forwarded to Anthropic, counted
locally (an estimate) for every other provider, errors in Anthropic's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from hermesllm.usage import Usage
from plano_common.tokenizer import count_tokens
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.raw_client import post
from plano_testkit.reply import Reply

CLIENT_KEY = "sk-ant-client-secret"
PROVIDERS = {
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "openai/gpt-4o": "sk-openai",
    "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0": "bedrock-api-key",
}
ALIASES = "model_aliases:\n  claude: {target: claude-sonnet-4-20250514}\n"
TOOL: Any = {
    "name": "get_weather",
    "description": "Weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
MESSAGES: Any = [{"role": "user", "content": "How many tokens does this sentence have?"}]


@pytest.fixture(scope="module")
def client(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[anthropic.Anthropic]:
    config = gateway_config(
        fake_upstream.url,
        PROVIDERS,
        default="anthropic/claude-sonnet-4-20250514",
        sections=ALIASES,
    )
    with start_gateway(config).anthropic_sdk(CLIENT_KEY) as sdk:
        yield sdk


def test_anthropic_upstream_answers(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(usage=Usage(input_tokens=1234, output_tokens=0)))
    counted = client.messages.count_tokens(
        model="claude",
        system="Be brief.",
        messages=MESSAGES,
        tools=[TOOL],
        extra_headers={"anthropic-beta": "token-counting-2024-11-01"},
    )
    assert counted.input_tokens == 1234
    seen = fake_upstream.last_request
    assert seen.path == "/v1/messages/count_tokens"
    assert seen.json == {
        "model": "claude-sonnet-4-20250514",
        "system": "Be brief.",
        "messages": MESSAGES,
        "tools": [TOOL],
    }
    assert seen.headers["x-api-key"] == "sk-anthropic"
    assert seen.headers["anthropic-version"]  # the SDK's own version is kept
    assert seen.headers["anthropic-beta"] == "token-counting-2024-11-01"
    assert CLIENT_KEY not in json.dumps(seen.headers)


def test_anthropic_upstream_error_is_relayed(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply.error(400, "messages: at least one message is required"))
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.count_tokens(model="claude-sonnet-4-20250514", messages=MESSAGES)
    body: Any = caught.value.body
    assert body["type"] == "error"
    assert body["error"]["message"] == "messages: at least one message is required"


@pytest.mark.parametrize(
    "model", ["openai/gpt-4o", "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0"]
)
def test_other_providers_are_counted_locally(
    client: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str
) -> None:
    counted = client.messages.count_tokens(model=model, messages=MESSAGES)
    upstream_model = model.split("/", 1)[1]
    assert counted.input_tokens == count_tokens(upstream_model, MESSAGES[0]["content"]) == 8
    with_tools = client.messages.count_tokens(
        model=model, system="Be brief.", messages=MESSAGES, tools=[TOOL]
    )
    assert with_tools.input_tokens > counted.input_tokens
    assert not fake_upstream.requests


def test_large_prompt_is_counted(client: anthropic.Anthropic) -> None:
    text = "token " * 100_000  # counted exactly in the tokenizer's worker thread
    counted = client.messages.count_tokens(
        model="openai/gpt-4o", messages=[{"role": "user", "content": text}]
    )
    assert counted.input_tokens == count_tokens("gpt-4o", text)


def test_unknown_model_and_bad_bodies_are_anthropic_errors(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.count_tokens(model="no-such-model", messages=MESSAGES)
    body: Any = caught.value.body
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    url = f"{str(client.base_url).rstrip('/')}/v1/messages/count_tokens"
    for payload in (b"not json", b"[]", b'{"model": "openai/gpt-4o"}', b'{"messages": []}'):
        answer = post(url, payload)
        assert answer.status == 400
        assert answer.json()["type"] == "error"
        assert answer.json()["error"]["type"] == "invalid_request_error"


def test_count_tokens_refuses_get(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.get("/v1/messages/count_tokens", cast_to=object)
    assert caught.value.status_code == 405
