"""Structured output on Bedrock through the gateway: the OpenAI SDK's `parse` helpers and
`response_format` get their JSON from a forced tool, whole and streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pydantic
import pytest

from hermesllm.translate.structured_output import OUTPUT_TOOL_NAME
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply, ToolCall

MODEL = "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0"
PROVIDERS = {MODEL: "bedrock-api-key"}
ANSWER = {"name": "red", "hex": "#ff0000"}


class Color(pydantic.BaseModel):
    name: str
    hex: str


@pytest.fixture(scope="module")
def gateway(fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any) -> Any:
    return start_gateway(gateway_config(fake_upstream.url, PROVIDERS, default=MODEL))


@pytest.fixture(scope="module")
def client(gateway: Any) -> Iterator[openai.OpenAI]:
    with gateway.openai_sdk() as sdk:
        yield sdk


def answer_with(fake: FakeUpstream, arguments: Any = None) -> None:
    fake.enqueue(Reply(tool_calls=[ToolCall(name=OUTPUT_TOOL_NAME, arguments=arguments or ANSWER)]))


def sent_tool_config(fake: FakeUpstream) -> dict[str, Any]:
    body = fake.last_request.json
    assert isinstance(body, dict) and "response_format" not in body
    config: dict[str, Any] = body["toolConfig"]
    return config


def test_chat_parse(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    answer_with(fake_upstream)
    completion = client.chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "A color?"}], response_format=Color
    )
    choice = completion.choices[0]
    assert choice.message.parsed == Color(**ANSWER)
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    config = sent_tool_config(fake_upstream)
    assert config["toolChoice"] == {"tool": {"name": OUTPUT_TOOL_NAME}}
    schema = config["tools"][0]["toolSpec"]["inputSchema"]["json"]
    assert schema["required"] == ["name", "hex"] and schema["additionalProperties"] is False


def test_chat_stream_parse(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    answer_with(fake_upstream)
    with client.chat.completions.stream(
        model=MODEL, messages=[{"role": "user", "content": "A color?"}], response_format=Color
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "content.delta" in kinds and "tool_calls.function.arguments.delta" not in kinds
    assert final.choices[0].message.parsed == Color(**ANSWER)
    assert final.choices[0].finish_reason == "stop"
    assert fake_upstream.last_request.path.endswith("/converse-stream")


def test_chat_json_object_mode(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    answer_with(fake_upstream, {"anything": [1, 2]})
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "JSON please"}],
        response_format={"type": "json_object"},
    )
    assert completion.choices[0].message.content == '{"anything":[1,2]}'
    schema = sent_tool_config(fake_upstream)["tools"][0]["toolSpec"]["inputSchema"]
    assert schema == {"json": {"type": "object"}}


def test_responses_parse(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    answer_with(fake_upstream)
    response = client.responses.parse(model=MODEL, input="A color?", text_format=Color)
    assert response.output_parsed == Color(**ANSWER)
    assert response.status == "completed"
    assert sent_tool_config(fake_upstream)["toolChoice"] == {"tool": {"name": OUTPUT_TOOL_NAME}}


def test_responses_stream(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    answer_with(fake_upstream)
    with client.responses.stream(model=MODEL, input="A color?", text_format=Color) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_response()
    assert "response.output_text.delta" in kinds
    assert final.output_parsed == Color(**ANSWER)


def test_anthropic_client_output_config_is_refused(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    with gateway.anthropic_sdk() as sdk, pytest.raises(anthropic.BadRequestError) as caught:
        sdk.messages.create(
            model=MODEL,
            max_tokens=100,
            messages=[{"role": "user", "content": "A color?"}],
            extra_body={"output_config": {"format": {"type": "json_schema", "schema": {}}}},
        )
    assert "output_config" in str(caught.value)
    assert not fake_upstream.requests
