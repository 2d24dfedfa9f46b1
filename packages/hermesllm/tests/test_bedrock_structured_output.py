"""Structured output on Bedrock: the forced output tool in requests, text in replies and streams.

The golden files cover the plain cases (requests/chat_json_schema.json,
requests/responses_json_format.json, responses/bedrock_structured_output.json); these tests pin
the tool-choice rules, the refusals and the streamed form for every client API.
"""

from __future__ import annotations

import json
from typing import Any

import openai.types.chat
import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import UnsupportedConversionError
from hermesllm.provider_ids import ProviderId
from hermesllm.streaming import new_stream_translator
from hermesllm.translate import prepare_upstream_request, translate_response
from hermesllm.translate.structured_output import OUTPUT_TOOL_NAME

MODEL = "us.anthropic.claude-sonnet-4-5"
SCHEMA: Any = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}
JSON_SCHEMA: Any = {"type": "json_schema", "json_schema": {"name": "color", "schema": SCHEMA}}
TOOL: Any = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}
USER: Any = [{"role": "user", "content": "Give a color"}]


def to_bedrock(request: dict[str, Any], client: ClientApi = ClientApi.CHAT) -> dict[str, Any]:
    body = prepare_upstream_request(
        json.dumps(request).encode(),
        client,
        UpstreamApi.BEDROCK_CONVERSE,
        provider=ProviderId.AMAZON_BEDROCK,
        model=MODEL,
    )
    result: dict[str, Any] = json.loads(body)
    return result


def tool_config(**fields: Any) -> dict[str, Any]:
    config: dict[str, Any] = to_bedrock({"model": "m", "messages": USER, **fields})["toolConfig"]
    return config


def tool_names(config: dict[str, Any]) -> list[str]:
    return [tool["toolSpec"]["name"] for tool in config["tools"]]


def test_json_object_is_an_open_object_schema() -> None:
    config = tool_config(response_format={"type": "json_object"})
    assert tool_names(config) == [OUTPUT_TOOL_NAME]
    assert config["tools"][0]["toolSpec"]["inputSchema"] == {"json": {"type": "object"}}
    assert config["toolChoice"] == {"tool": {"name": OUTPUT_TOOL_NAME}}


def test_schema_description_reaches_the_tool() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "c", "description": "A color."}}
    spec = tool_config(response_format=fmt)["tools"][0]["toolSpec"]
    assert spec["description"].endswith("The response: A color.")
    assert spec["inputSchema"] == {"json": {"type": "object"}}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, {"any": {}}),
        ("auto", {"any": {}}),
        ("required", {"any": {}}),
        ({"type": "function", "function": {"name": "lookup"}}, {"tool": {"name": "lookup"}}),
    ],
)
def test_client_tools_keep_their_place(choice: Any, expected: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"response_format": JSON_SCHEMA, "tools": [TOOL]}
    if choice is not None:
        fields["tool_choice"] = choice
    config = tool_config(**fields)
    assert tool_names(config) == ["lookup", OUTPUT_TOOL_NAME]
    assert config["toolChoice"] == expected


def test_tool_choice_none_offers_only_the_output_tool() -> None:
    config = tool_config(response_format=JSON_SCHEMA, tools=[TOOL], tool_choice="none")
    assert tool_names(config) == [OUTPUT_TOOL_NAME]
    assert config["toolChoice"] == {"tool": {"name": OUTPUT_TOOL_NAME}}


def test_thinking_lets_the_model_choose() -> None:
    request = {
        "model": "m",
        "messages": USER,
        "response_format": JSON_SCHEMA,
        "reasoning_effort": "low",
    }
    body = to_bedrock(request)
    assert "thinking" in body["additionalModelRequestFields"]
    assert body["toolConfig"]["toolChoice"] == {"auto": {}}


def test_responses_text_format() -> None:
    request = {
        "model": "m",
        "input": "Give a color",
        "text": {"format": {"type": "json_schema", "name": "color", "schema": SCHEMA}},
    }
    config = to_bedrock(request, ClientApi.RESPONSES)["toolConfig"]
    assert config["tools"][0]["toolSpec"]["inputSchema"] == {"json": SCHEMA}
    assert config["toolChoice"] == {"tool": {"name": OUTPUT_TOOL_NAME}}
    plain = to_bedrock(
        {"model": "m", "input": "hi", "text": {"format": {"type": "text"}}}, ClientApi.RESPONSES
    )
    assert "toolConfig" not in plain


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "l", "schema": {"type": "array"}},
                }
            },
            "root is an object",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": OUTPUT_TOOL_NAME}}]},
            "is reserved",
        ),
    ],
)
def test_refusals(request_fields: dict[str, Any], message: str) -> None:
    with pytest.raises(UnsupportedConversionError, match=message):
        to_bedrock({"model": "m", "messages": USER, **request_fields})


def test_anthropic_clients_are_not_affected() -> None:
    request = {
        "model": "m",
        "max_tokens": 100,
        "messages": USER,
        "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
    }
    with pytest.raises(UnsupportedConversionError, match="output_config"):
        to_bedrock(request, ClientApi.MESSAGES)
    plain = to_bedrock({"model": "m", "max_tokens": 100, "messages": USER}, ClientApi.MESSAGES)
    assert "toolConfig" not in plain


def test_reply_with_another_tool_call_keeps_tool_calls() -> None:
    reply = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {}}},
                    {"toolUse": {"toolUseId": "t2", "name": OUTPUT_TOOL_NAME, "input": {"a": 1}}},
                ],
            }
        },
        "stopReason": "tool_use",
    }
    body = translate_response(
        json.dumps(reply).encode(), UpstreamApi.BEDROCK_CONVERSE, ClientApi.CHAT, model=MODEL
    )
    choice = json.loads(body)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == '{"a":1}'
    assert [call["function"]["name"] for call in choice["message"]["tool_calls"]] == ["lookup"]


def stream(upstream_bytes: Any, client: ClientApi, chunk: int) -> bytes:
    data = upstream_bytes("bedrock", "structured")
    translator = new_stream_translator(
        UpstreamApi.BEDROCK_CONVERSE, client, model=MODEL, include_usage=True
    )
    out = [translator.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    out.append(translator.finish())
    return b"".join(out)


def sse_payloads(raw: bytes) -> list[Any]:
    payloads = []
    for line in raw.decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            payloads.append(json.loads(line[6:]))
    return payloads


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_chat_stream_turns_tool_input_into_content(upstream_bytes: Any, chunk: int) -> None:
    raw = stream(upstream_bytes, ClientApi.CHAT, chunk)
    assert raw.endswith(b"data: [DONE]\n\n")
    chunks = [openai.types.chat.ChatCompletionChunk.model_validate(p) for p in sse_payloads(raw)]
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(content) == {"name": "red", "hex": "#ff0000"}
    assert not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12


def test_responses_stream_is_output_text(upstream_bytes: Any) -> None:
    payloads = sse_payloads(stream(upstream_bytes, ClientApi.RESPONSES, 64))
    kinds = [p["type"] for p in payloads]
    assert "response.function_call_arguments.delta" not in kinds
    completed = payloads[-1]
    assert completed["type"] == "response.completed"
    assert completed["response"]["status"] == "completed"
    [message] = completed["response"]["output"]
    assert json.loads(message["content"][0]["text"]) == {"name": "red", "hex": "#ff0000"}


def test_anthropic_stream_keeps_the_tool_use(upstream_bytes: Any) -> None:
    payloads = sse_payloads(stream(upstream_bytes, ClientApi.MESSAGES, 64))
    starts = [p["content_block"] for p in payloads if p["type"] == "content_block_start"]
    assert [block["type"] for block in starts] == ["tool_use"]
    delta = next(p for p in payloads if p["type"] == "message_delta")
    assert delta["delta"]["stop_reason"] == "tool_use"
