"""Stream translation cases found by review, checked through the official SDKs' stream helpers."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.streaming import new_stream_translator


def sse(event: str | None, body: dict[str, Any]) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


def translate(upstream: UpstreamApi, client: ClientApi, data: bytes, chunk: int) -> bytes:
    translator = new_stream_translator(
        upstream, client, model="m", include_usage=True, fallback_id="fx", created=7
    )
    out = [translator.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    out.append(translator.finish())
    assert translator.done
    return b"".join(out)


def translate_any_chunking(upstream: UpstreamApi, client: ClientApi, data: bytes) -> bytes:
    whole = translate(upstream, client, data, len(data))
    assert translate(upstream, client, data, 1) == whole
    assert translate(upstream, client, data, 13) == whole
    return whole


def _http(body: bytes) -> httpx2.Client:
    def reply(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return httpx2.Client(transport=httpx2.MockTransport(reply))


def anthropic_message(body: bytes) -> anthropic.types.Message:
    client = anthropic.Anthropic(
        api_key="k", base_url="http://gw.test", http_client=_http(body), max_retries=0
    )
    with client.messages.stream(
        model="m", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        return stream.get_final_message()


def chat_completion(body: bytes) -> Any:
    client = openai.OpenAI(
        api_key="k", base_url="http://gw.test/v1", http_client=_http(body), max_retries=0
    )
    with client.chat.completions.stream(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        stream_options={"include_usage": True},
    ) as stream:
        return stream.get_final_completion()


def responses_response(body: bytes) -> Any:
    client = openai.OpenAI(
        api_key="k", base_url="http://gw.test/v1", http_client=_http(body), max_retries=0
    )
    with client.responses.stream(model="m", input="hi") as stream:
        return stream.get_final_response()


def anthropic_stream(blocks: list[bytes], usage: dict[str, Any], stop: str) -> bytes:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_01X",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        },
    }
    end = [
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": 9},
            },
        ),
        sse("message_stop", {"type": "message_stop"}),
    ]
    return b"".join([sse("message_start", start), *blocks, *end])


def block_start(index: int, block: dict[str, Any]) -> bytes:
    body = {"type": "content_block_start", "index": index, "content_block": block}
    return sse("content_block_start", body)


def block_delta(index: int, delta: dict[str, Any]) -> bytes:
    return sse(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


def block_stop(index: int) -> bytes:
    return sse("content_block_stop", {"type": "content_block_stop", "index": index})


NO_ARGUMENT_CALL = anthropic_stream(
    [
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}),
        block_delta(0, {"type": "input_json_delta", "partial_json": ""}),
        block_stop(0),
    ],
    {"input_tokens": 5, "output_tokens": 1},
    "tool_use",
)


def test_no_argument_tool_call_reaches_chat_clients_as_an_empty_object() -> None:
    """Claude streams no JSON for a no-argument tool; chat clients json.loads the arguments."""
    out = translate_any_chunking(UpstreamApi.MESSAGES, ClientApi.CHAT, NO_ARGUMENT_CALL)
    completion = chat_completion(out)
    call = completion.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "toolu_1",
        "now",
        {},
    )
    assert completion.choices[0].finish_reason == "tool_calls"


def test_no_argument_tool_call_reaches_responses_clients_as_an_empty_object() -> None:
    out = translate_any_chunking(UpstreamApi.MESSAGES, ClientApi.RESPONSES, NO_ARGUMENT_CALL)
    response = responses_response(out)
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(call.name, json.loads(call.arguments)) for call in calls] == [("now", {})]
    done = [
        json.loads(line[6:])
        for line in out.split(b"\n")
        if line.startswith(b"data: ") and b"function_call_arguments.done" in line
    ]
    assert [event["arguments"] for event in done] == ["{}"]


SERVER_TOOL_THEN_TEXT = anthropic_stream(
    [
        block_start(
            0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
        ),
        block_delta(0, {"type": "input_json_delta", "partial_json": '{"query": "news"}'}),
        block_stop(0),
        block_start(
            1,
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
        ),
        block_stop(1),
        block_start(2, {"type": "text", "text": ""}),
        block_delta(2, {"type": "text_delta", "text": "Here is the news."}),
        block_stop(2),
    ],
    {"input_tokens": 5, "output_tokens": 1},
    "end_turn",
)


def test_server_tool_calls_are_not_client_tool_calls_in_chat() -> None:
    """Anthropic ran the web search itself: a chat client must not be asked to run it."""
    out = translate_any_chunking(UpstreamApi.MESSAGES, ClientApi.CHAT, SERVER_TOOL_THEN_TEXT)
    message = chat_completion(out).choices[0].message
    assert message.content == "Here is the news."
    assert not message.tool_calls


def test_server_tool_calls_are_not_client_tool_calls_in_responses() -> None:
    out = translate_any_chunking(UpstreamApi.MESSAGES, ClientApi.RESPONSES, SERVER_TOOL_THEN_TEXT)
    response = responses_response(out)
    assert [item.type for item in response.output] == ["message"]
    assert response.output_text == "Here is the news."


CACHED_TEXT = anthropic_stream(
    [
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "Hi"}),
        block_stop(0),
    ],
    {
        "input_tokens": 20,
        "cache_read_input_tokens": 80,
        "cache_creation_input_tokens": 10,
        "output_tokens": 1,
    },
    "end_turn",
)


def test_streamed_cache_usage_reaches_chat_clients() -> None:
    out = translate_any_chunking(UpstreamApi.MESSAGES, ClientApi.CHAT, CACHED_TEXT)
    usage = chat_completion(out).usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (110, 9)
    assert usage.prompt_tokens_details.cached_tokens == 80


def test_streamed_cache_usage_reaches_responses_clients() -> None:
    out = translate_any_chunking(UpstreamApi.MESSAGES, ClientApi.RESPONSES, CACHED_TEXT)
    usage = responses_response(out).usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (110, 9, 119)
    assert usage.input_tokens_details.cached_tokens == 80


def chat_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    body = {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1, "model": "o4"}
    return sse(None, {**body, "choices": [choice], **extra})


CHAT_REASONING_USAGE = b"".join(
    [
        chat_chunk({"role": "assistant", "content": None}),
        chat_chunk({"reasoning_content": "think"}),
        chat_chunk({"content": "4"}),
        chat_chunk({}, "stop"),
        sse(
            None,
            {
                "id": "chatcmpl-7",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "o4",
                "choices": [],
                "usage": {
                    "prompt_tokens": 100,
                    "completion_tokens": 50,
                    "total_tokens": 150,
                    "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": None},
                    "completion_tokens_details": {"reasoning_tokens": 30, "audio_tokens": None},
                },
            },
        ),
        b"data: [DONE]\n\n",
    ]
)


def test_streamed_reasoning_and_cache_usage_reach_anthropic_clients() -> None:
    out = translate_any_chunking(UpstreamApi.CHAT, ClientApi.MESSAGES, CHAT_REASONING_USAGE)
    message = anthropic_message(out)
    usage = message.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (36, 64, 50)
    assert [block.type for block in message.content] == ["thinking", "text"]


def test_streamed_reasoning_and_cache_usage_reach_responses_clients() -> None:
    out = translate_any_chunking(UpstreamApi.CHAT, ClientApi.RESPONSES, CHAT_REASONING_USAGE)
    usage = responses_response(out).usage
    assert usage.input_tokens_details.cached_tokens == 64
    assert usage.output_tokens_details.reasoning_tokens == 30


@pytest.mark.parametrize("client", [ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES])
def test_null_usage_counts_do_not_break_a_gemini_stream(client: ClientApi) -> None:
    chunk = {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {
            "promptTokenCount": 4,
            "candidatesTokenCount": 2,
            "thoughtsTokenCount": None,
            "cachedContentTokenCount": None,
        },
        "modelVersion": "gemini-x",
    }
    data = sse(None, chunk)
    translator = new_stream_translator(UpstreamApi.GEMINI, client, model="m", include_usage=True)
    out = translator.feed(data) + translator.finish()
    completed = {
        ClientApi.CHAT: b'"finish_reason":"stop"',
        ClientApi.MESSAGES: b"event: message_stop",
        ClientApi.RESPONSES: b"event: response.completed",
    }
    assert completed[client] in out
    usage = translator.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (4, 2)


def gemini_call_stream(response_id: str) -> bytes:
    part = {"functionCall": {"name": "get_time", "args": {}}}
    chunk = {
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2},
        "responseId": response_id,
    }
    return sse(None, chunk)


def test_gemini_calls_without_ids_get_ids_unique_across_turns() -> None:
    """Anthropic rejects a conversation whose tool_use ids repeat across turns."""
    ids = []
    for response_id in ("respA", "respB"):
        out = translate_any_chunking(
            UpstreamApi.GEMINI, ClientApi.MESSAGES, gemini_call_stream(response_id)
        )
        message = anthropic_message(out)
        ids.extend(block.id for block in message.content if block.type == "tool_use")
    assert len(ids) == 2
    assert len(set(ids)) == 2
