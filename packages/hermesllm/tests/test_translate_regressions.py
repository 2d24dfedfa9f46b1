"""Request and response translation cases found by review: realistic SDK traffic that broke."""

import json
from typing import Any

import anthropic.types
import openai.types.chat
import openai.types.responses
import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import UnsupportedConversionError
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import prepare_upstream_request, response_usage, translate_response
from hermesllm.usage import Usage

PROVIDERS = {
    UpstreamApi.CHAT: ProviderId.OPENAI,
    UpstreamApi.MESSAGES: ProviderId.ANTHROPIC,
    UpstreamApi.BEDROCK_CONVERSE: ProviderId.AMAZON_BEDROCK,
    UpstreamApi.GEMINI: ProviderId.GEMINI,
}


def prepare(request: dict[str, Any], client: ClientApi, upstream: UpstreamApi) -> Any:
    body = json.dumps(request).encode()
    return json.loads(
        prepare_upstream_request(
            body, client, upstream, provider=PROVIDERS[upstream], model="target-model"
        )
    )


TOOL_HISTORY_WITHOUT_TOOLS = {
    "model": "gpt-4o",
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_2", "content": "noon"},
        {"role": "user", "content": "Summarise the conversation."},
    ],
}


def test_bedrock_declares_replayed_tools_when_the_request_offers_none() -> None:
    """Bedrock rejects toolUse/toolResult history without a toolConfig (e.g. a summary turn)."""
    converse = prepare(TOOL_HISTORY_WITHOUT_TOOLS, ClientApi.CHAT, UpstreamApi.BEDROCK_CONVERSE)
    names = [tool["toolSpec"]["name"] for tool in converse["toolConfig"]["tools"]]
    assert names == ["get_weather", "get_time"]
    assert "toolChoice" not in converse["toolConfig"]
    assert all(tool["toolSpec"]["inputSchema"]["json"] for tool in converse["toolConfig"]["tools"])


def test_bedrock_without_tool_history_or_tools_has_no_tool_config() -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert "toolConfig" not in prepare(request, ClientApi.CHAT, UpstreamApi.BEDROCK_CONVERSE)


ANTHROPIC_JSON_OUTPUT = {
    "model": "claude",
    "max_tokens": 512,
    "messages": [{"role": "user", "content": "Give me a city as JSON"}],
    "output_config": {
        "format": {
            "type": "json_schema",
            "schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    },
}


def test_anthropic_json_output_reaches_chat_as_response_format() -> None:
    chat = prepare(ANTHROPIC_JSON_OUTPUT, ClientApi.MESSAGES, UpstreamApi.CHAT)
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "response",
            "schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }


def test_anthropic_json_output_reaches_gemini_as_json_schema() -> None:
    gemini = prepare(ANTHROPIC_JSON_OUTPUT, ClientApi.MESSAGES, UpstreamApi.GEMINI)
    config = gemini["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["properties"] == {"city": {"type": "string"}}


def test_anthropic_json_output_to_bedrock_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedConversionError, match="JSON mode"):
        prepare(ANTHROPIC_JSON_OUTPUT, ClientApi.MESSAGES, UpstreamApi.BEDROCK_CONVERSE)


def test_file_search_to_anthropic_names_the_tool() -> None:
    request = {
        "model": "gpt-4o",
        "input": "find it",
        "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}],
    }
    with pytest.raises(UnsupportedConversionError, match="'file_search' tool is hosted by OpenAI"):
        prepare(request, ClientApi.RESPONSES, UpstreamApi.MESSAGES)


CHAT_COMPLETION_WITH_NULLS = {
    "id": "chatcmpl-9",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "system_fingerprint": None,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_9",
                        "type": "function",
                        "function": {"name": "now", "arguments": ""},
                    }
                ],
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": None, "audio_tokens": None},
        "completion_tokens_details": {"reasoning_tokens": None, "audio_tokens": None},
    },
}


def test_null_usage_details_do_not_break_the_response() -> None:
    """OpenAI-compatible providers send null for the counts they do not track."""
    body = json.dumps(CHAT_COMPLETION_WITH_NULLS).encode()
    assert response_usage(body, UpstreamApi.CHAT) == Usage(10, 5)
    message = json.loads(translate_response(body, UpstreamApi.CHAT, ClientApi.MESSAGES, model="m"))
    anthropic.types.Message.model_validate(message)
    assert message["usage"]["input_tokens"] == 10


def test_tool_call_without_arguments_has_an_empty_object() -> None:
    """A no-argument call ("" from some providers) must be parseable JSON for every client."""
    body = json.dumps(CHAT_COMPLETION_WITH_NULLS).encode()
    responses = json.loads(
        translate_response(body, UpstreamApi.CHAT, ClientApi.RESPONSES, model="m")
    )
    openai.types.responses.Response.model_validate(responses)
    assert responses["output"][0]["arguments"] == "{}"
    message = json.loads(translate_response(body, UpstreamApi.CHAT, ClientApi.MESSAGES, model="m"))
    assert message["content"][0]["input"] == {}


@pytest.mark.parametrize(
    ("upstream", "body"),
    [
        (
            UpstreamApi.MESSAGES,
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude",
                "content": [{"type": "text", "text": "hi"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 3,
                    "output_tokens": 2,
                    "cache_read_input_tokens": None,
                    "cache_creation_input_tokens": None,
                },
            },
        ),
        (
            UpstreamApi.BEDROCK_CONVERSE,
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": None},
            },
        ),
        (
            UpstreamApi.GEMINI,
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": "hi"}]},
                        "finishReason": "STOP",
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": 3,
                    "candidatesTokenCount": 2,
                    "thoughtsTokenCount": None,
                },
            },
        ),
    ],
)
def test_null_counts_from_any_upstream_read_as_zero(
    upstream: UpstreamApi, body: dict[str, Any]
) -> None:
    data = json.dumps(body).encode()
    assert response_usage(data, upstream) == Usage(3, 2)
    chat = json.loads(translate_response(data, upstream, ClientApi.CHAT, model="m"))
    openai.types.chat.ChatCompletion.model_validate(chat)
    assert chat["usage"]["prompt_tokens"] == 3


@pytest.mark.parametrize("upstream", [UpstreamApi.MESSAGES, UpstreamApi.BEDROCK_CONVERSE])
def test_claude_gets_no_blank_stop_sequences(upstream: UpstreamApi) -> None:
    """Claude rejects empty and white-space-only stop sequences ("\\n" is common from chat)."""
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": ["\n", ""]}
    body = prepare(request, ClientApi.CHAT, upstream)
    assert "stop_sequences" not in body
    assert "stopSequences" not in body.get("inferenceConfig", {})
    request["stop"] = ["\n", "END"]
    body = prepare(request, ClientApi.CHAT, upstream)
    stop = body.get("stop_sequences") or body["inferenceConfig"]["stopSequences"]
    assert stop == ["END"]


def test_claude_gets_no_blank_text_blocks() -> None:
    """Claude rejects text blocks of only white space, in messages and in the system prompt."""
    request = {
        "model": "m",
        "messages": [
            {"role": "system", "content": " "},
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": "\n",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "done"},
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    anthropic_body = prepare(request, ClientApi.CHAT, UpstreamApi.MESSAGES)
    assert anthropic_body["system"] == "Be brief."
    assert anthropic_body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "c1", "name": "f", "input": {}}
    ]
    converse = prepare(request, ClientApi.CHAT, UpstreamApi.BEDROCK_CONVERSE)
    assert converse["system"] == [{"text": "Be brief."}]
    assert converse["messages"][1]["content"] == [
        {"toolUse": {"toolUseId": "c1", "name": "f", "input": {}}}
    ]


def test_reasoning_field_of_compatible_providers_becomes_thinking() -> None:
    """OpenRouter and vLLM name the reasoning text `reasoning`, as the streaming path reads it."""
    completion = {
        "id": "gen-1",
        "model": "deepseek/deepseek-r1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "4", "reasoning": "2+2"},
                "finish_reason": "stop",
            }
        ],
    }
    body = json.dumps(completion).encode()
    message = json.loads(translate_response(body, UpstreamApi.CHAT, ClientApi.MESSAGES, model="m"))
    anthropic.types.Message.model_validate(message)
    assert [block["type"] for block in message["content"]] == ["thinking", "text"]
    assert message["content"][0]["thinking"] == "2+2"


def test_chat_part_cache_breakpoints_reach_anthropic() -> None:
    """`cache_control` on OpenAI-style text parts (the OpenRouter/LiteLLM convention) is kept."""
    marker = {"type": "ephemeral"}
    request = {
        "model": "m",
        "messages": [
            {
                "role": "system",
                "content": [
                    {"type": "text", "text": "Long stable instructions.", "cache_control": marker},
                    {"type": "text", "text": "Today is Monday."},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "text", "text": "A long document.", "cache_control": marker}],
            },
        ],
    }
    body = prepare(request, ClientApi.CHAT, UpstreamApi.MESSAGES)
    assert body["system"] == [
        {"type": "text", "text": "Long stable instructions.", "cache_control": marker},
        {"type": "text", "text": "Today is Monday."},
    ]
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "A long document.", "cache_control": marker}
    ]


@pytest.mark.parametrize("upstream", [UpstreamApi.MESSAGES, UpstreamApi.BEDROCK_CONVERSE])
def test_claude_prefill_loses_its_trailing_white_space(upstream: UpstreamApi) -> None:
    """Claude rejects a final assistant message ending in white space ("Sure, " prefills)."""
    request = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "List three colours."},
            {"role": "assistant", "content": "Here they are: \n"},
        ],
    }
    body = prepare(request, ClientApi.CHAT, upstream)
    last = body["messages"][-1]
    assert last["role"] == "assistant"
    assert last["content"][-1]["text"] == "Here they are:"
