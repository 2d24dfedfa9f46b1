"""Translated streams are consumed by the official SDKs' own stream machinery.

For every (upstream, client) pair and every recorded-shape scenario, the client bytes are
served through an `httpx2.MockTransport` to the real `anthropic` / `openai` clients, and the
message their stream helpers accumulate must equal the expected one.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.stop_reasons import openai_to_anthropic
from hermesllm.streaming import new_stream_translator
from plano_testkit.bedrock_recordings import SOURCES, recording

UPSTREAMS = {
    "chat": UpstreamApi.CHAT,
    "anthropic": UpstreamApi.MESSAGES,
    "responses": UpstreamApi.RESPONSES,
    "gemini": UpstreamApi.GEMINI,
    "bedrock": UpstreamApi.BEDROCK_CONVERSE,
}
CLIENTS = [ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES]


def translate(upstream: UpstreamApi, client: ClientApi, data: bytes, chunk: int = 97) -> bytes:
    translator = new_stream_translator(
        upstream, client, model="test-model", include_usage=True, fallback_id="fixed", created=7
    )
    out = [translator.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    out.append(translator.finish())
    assert translator.done
    return b"".join(out)


WEATHER = ("get_weather", {"city": "Paris", "unit": "c"})
TIME = ("get_time", {"tz": "Europe/Paris"})
EXPECTED: dict[str, dict[str, Any]] = {
    "text": {
        "text": "Hello, world! ünïcode 😀",
        "tools": [],
        "stop": "end_turn",
        "usage": (12, 7),
    },
    "thinking": {
        "text": "The answer is 4.",
        "thinking": "Let me think about 2+2.",
        "tools": [],
        "stop": "end_turn",
        "usage": (20, 15),
    },
    "tools": {
        "text": "Checking both.",
        "tools": [WEATHER, TIME],
        "stop": "tool_use",
        "usage": (30, 25),
    },
    "mixed": {
        "text": "Sure.",
        "tools": [("lookup", {"q": "x", "n": 3})],
        "stop": "tool_use",
        "usage": (9, 11),
    },
}


def _http(body: bytes) -> httpx2.Client:
    def reply(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return httpx2.Client(transport=httpx2.MockTransport(reply))


def _anthropic_client(body: bytes) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="k", base_url="http://gateway.test", http_client=_http(body), max_retries=0
    )


def _openai_client(body: bytes) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="k", base_url="http://gateway.test/v1", http_client=_http(body), max_retries=0
    )


def anthropic_result(body: bytes) -> dict[str, Any]:
    client = _anthropic_client(body)
    with client.messages.stream(
        model="m", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        message = stream.get_final_message()
    usage = message.usage
    prompt = usage.input_tokens + (usage.cache_read_input_tokens or 0)
    prompt += usage.cache_creation_input_tokens or 0
    return {
        "text": "".join(b.text for b in message.content if b.type == "text"),
        "thinking": "".join(b.thinking for b in message.content if b.type == "thinking"),
        "tools": [(b.name, b.input) for b in message.content if b.type == "tool_use"],
        "stop": message.stop_reason,
        "usage": (prompt, usage.output_tokens),
    }


def chat_result(body: bytes) -> dict[str, Any]:
    client = _openai_client(body)
    with client.chat.completions.stream(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        stream_options={"include_usage": True},
    ) as stream:
        completion = stream.get_final_completion()
    choice = completion.choices[0]
    message = choice.message
    assert message.role == "assistant"
    assert completion.usage is not None
    return {
        "text": message.content or "",
        "thinking": getattr(message, "reasoning_content", None) or "",
        "tools": [
            (call.function.name, json.loads(call.function.arguments))
            for call in message.tool_calls or []
        ],
        "stop": openai_to_anthropic(choice.finish_reason),
        "usage": (completion.usage.prompt_tokens, completion.usage.completion_tokens),
    }


def responses_result(body: bytes) -> dict[str, Any]:
    client = _openai_client(body)
    with client.responses.stream(model="m", input="hi") as stream:
        response = stream.get_final_response()
    calls = [item for item in response.output if item.type == "function_call"]
    thinking = "".join(
        part.text for item in response.output if item.type == "reasoning" for part in item.summary
    )
    assert response.usage is not None
    assert response.status == "completed"
    return {
        "text": response.output_text,
        "thinking": thinking,
        "tools": [(call.name, json.loads(call.arguments)) for call in calls],
        "stop": "tool_use" if calls else "end_turn",
        "usage": (response.usage.input_tokens, response.usage.output_tokens),
    }


RESULT = {
    ClientApi.MESSAGES: anthropic_result,
    ClientApi.CHAT: chat_result,
    ClientApi.RESPONSES: responses_result,
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.value)
@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_sdk_accumulates_expected_message(
    upstream_bytes: Any, upstream: str, client: ClientApi, scenario: str
) -> None:
    body = translate(UPSTREAMS[upstream], client, upstream_bytes(upstream, scenario))
    result = RESULT[client](body)
    expected = EXPECTED[scenario]
    assert result["text"] == expected["text"]
    assert result["tools"] == expected["tools"]
    assert result["stop"] == expected["stop"]
    assert result["usage"] == expected["usage"]
    # Chat upstreams and the Responses client carry reasoning without a place for all of it;
    # whenever both sides have a reasoning channel the text must survive.
    assert result["thinking"] == expected.get("thinking", "")


def test_tool_call_ids_survive_translation(upstream_bytes: Any) -> None:
    body = translate(UpstreamApi.MESSAGES, ClientApi.CHAT, upstream_bytes("anthropic", "tools"))
    with _openai_client(body).chat.completions.stream(model="m", messages=[]) as stream:
        completion = stream.get_final_completion()
    calls = completion.choices[0].message.tool_calls or []
    assert [call.id for call in calls] == ["call_w1", "call_t2"]


def test_thinking_signature_reaches_anthropic_clients(upstream_bytes: Any) -> None:
    for upstream in ("anthropic", "bedrock", "gemini"):
        body = translate(
            UPSTREAMS[upstream], ClientApi.MESSAGES, upstream_bytes(upstream, "thinking")
        )
        with _anthropic_client(body).messages.stream(
            model="m", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            message = stream.get_final_message()
        thinking = [block for block in message.content if block.type == "thinking"]
        assert [block.signature for block in thinking] == [
            "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDeSYpFKc0"
        ]


@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_mid_stream_error_raises_in_anthropic_sdk(upstream_bytes: Any, upstream: str) -> None:
    body = translate(UPSTREAMS[upstream], ClientApi.MESSAGES, upstream_bytes(upstream, "error"))
    with (
        pytest.raises(anthropic.APIStatusError),
        _anthropic_client(body).messages.stream(
            model="m", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        stream.get_final_message()


@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_mid_stream_error_raises_in_openai_chat_sdk(upstream_bytes: Any, upstream: str) -> None:
    body = translate(UPSTREAMS[upstream], ClientApi.CHAT, upstream_bytes(upstream, "error"))
    with (
        pytest.raises(openai.APIError),
        _openai_client(body).chat.completions.stream(model="m", messages=[]) as stream,
    ):
        stream.get_final_completion()


@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_mid_stream_error_ends_responses_stream(upstream_bytes: Any, upstream: str) -> None:
    body = translate(UPSTREAMS[upstream], ClientApi.RESPONSES, upstream_bytes(upstream, "error"))
    with _openai_client(body).responses.stream(model="m", input="hi") as stream:
        events = list(stream)
    last = events[-1]
    assert last.type in ("response.failed", "error")
    message = last.response.error.message if last.type == "response.failed" else last.message
    assert message


def _bedrock_recording(source: str, name: str, client: ClientApi) -> bytes:
    data = recording(source, name)
    return translate(UpstreamApi.BEDROCK_CONVERSE, client, data, chunk=1000)


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.value)
@pytest.mark.parametrize("source", SOURCES)
def test_bedrock_tool_recording_reaches_the_sdks(source: str, client: ClientApi) -> None:
    result = RESULT[client](_bedrock_recording(source, "converse_stream_tools.bin", client))
    assert result["text"]
    assert result["stop"] == "tool_use"
    assert result["usage"] == (742, 539)
    assert [name for name, _ in result["tools"]] == ["run_python_code"]
    assert all(isinstance(args, dict) and args for _, args in result["tools"])


@pytest.mark.parametrize("source", SOURCES)
def test_bedrock_max_tokens_recording_reaches_anthropic_sdk(source: str) -> None:
    result = anthropic_result(
        _bedrock_recording(source, "converse_stream_text.bin", ClientApi.MESSAGES)
    )
    assert result["text"].startswith("# Binary Search in a Sorted Array")
    assert result["stop"] == "max_tokens"
    assert result["usage"] == (19, 500)


@pytest.mark.parametrize("source", SOURCES)
def test_bedrock_max_tokens_recording_reaches_openai_chat_sdk(source: str) -> None:
    body = _bedrock_recording(source, "converse_stream_text.bin", ClientApi.CHAT)
    with (
        pytest.raises(openai.LengthFinishReasonError) as caught,
        _openai_client(body).chat.completions.stream(
            model="m", messages=[], stream_options={"include_usage": True}
        ) as stream,
    ):
        stream.get_final_completion()
    completion = caught.value.completion
    assert (completion.choices[0].message.content or "").startswith("# Binary Search")
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 500


@pytest.mark.parametrize("source", SOURCES)
def test_bedrock_max_tokens_recording_reaches_openai_responses_sdk(source: str) -> None:
    body = _bedrock_recording(source, "converse_stream_text.bin", ClientApi.RESPONSES)
    with _openai_client(body).responses.stream(model="m", input="hi") as stream:
        events = list(stream)
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "max_output_tokens"
    assert last.response.output_text.startswith("# Binary Search")
    assert last.response.usage is not None
    assert last.response.usage.output_tokens == 500
