"""hermesllm translates the fake's output, extra provider fields included, for every pair.

Each upstream wire format answers one script (thinking, text, two tool calls, cache and
reasoning usage), whole and streamed; hermesllm translates it into each client API and the
official SDK types read the result. Usage must come out the same from the JSON body and the
stream, in each provider's own counting convention. Provider error bodies and mid-stream error
events must reach every client with their message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import ErrorResponse, Message, RawMessageStreamEvent
from openai.types import ErrorObject
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.error_bodies import translate_error
from hermesllm.sse import SseParser
from hermesllm.streaming import new_stream_translator
from hermesllm.translate import response_usage, translate_response
from hermesllm.usage import Usage
from plano_testkit import FakeUpstream, Reply, ToolCall
from plano_testkit.raw_client import post

TEXT = "Ünïcode answer ✓ here"
CALLS = [
    ToolCall(name="lookup", arguments={"term": "naïve ✓"}, id="call_a"),
    ToolCall(name="add", arguments={"a": 1, "b": [2, 3]}, id="call_b"),
]
USAGE = Usage(
    input_tokens=40,
    output_tokens=12,
    cached_input_tokens=10,
    cache_creation_tokens=4,
    reasoning_tokens=3,
)
SCRIPT = Reply(thinking="Plan it ✓.", text=TEXT, tool_calls=CALLS, usage=USAGE)
USER = [{"role": "user", "content": "hi"}]
MODEL = "m-1"

# What each provider can report of USAGE: Chat Completions and Gemini have no cache-write
# count, Anthropic and Bedrock no reasoning count.
EXPECTED_USAGE = {
    UpstreamApi.CHAT: Usage(40, 12, 10, 0, 3),
    UpstreamApi.RESPONSES: Usage(40, 12, 10, 4, 3),
    UpstreamApi.MESSAGES: Usage(40, 12, 10, 4, 0),
    UpstreamApi.BEDROCK_CONVERSE: Usage(40, 12, 10, 4, 0),
    UpstreamApi.GEMINI: Usage(40, 12, 10, 0, 3),
}
CLIENTS = [ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES]
CLIENT_AS_UPSTREAM = {
    ClientApi.CHAT: UpstreamApi.CHAT,
    ClientApi.MESSAGES: UpstreamApi.MESSAGES,
    ClientApi.RESPONSES: UpstreamApi.RESPONSES,
}
CHUNK_ADAPTER: TypeAdapter[ChatCompletionChunk] = TypeAdapter(ChatCompletionChunk)
ANTHROPIC_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
RESPONSES_EVENT: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


def request(upstream: UpstreamApi, stream: bool) -> tuple[str, dict[str, Any]]:
    """The path and body that make the fake answer in `upstream`'s format."""
    if upstream is UpstreamApi.CHAT:
        options = {"stream_options": {"include_usage": True}} if stream else {}
        return "/v1/chat/completions", {
            "model": MODEL,
            "stream": stream,
            "messages": USER,
            **options,
        }
    if upstream is UpstreamApi.RESPONSES:
        return "/v1/responses", {"model": MODEL, "stream": stream, "input": "hi"}
    if upstream is UpstreamApi.MESSAGES:
        return "/v1/messages", {
            "model": MODEL,
            "max_tokens": 50,
            "stream": stream,
            "messages": USER,
        }
    if upstream is UpstreamApi.BEDROCK_CONVERSE:
        return f"/model/{MODEL}/converse" + ("-stream" if stream else ""), {"messages": []}
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/{MODEL}:{method}", {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}]
    }


def fake_answer(fake: FakeUpstream, upstream: UpstreamApi, *, stream: bool) -> bytes:
    fake.reset()
    fake.enqueue(SCRIPT)
    path, body = request(upstream, stream)
    response = post(fake.url + path, body)
    assert response.status == 200
    return response.body


def translate_stream(upstream: UpstreamApi, client: ClientApi, raw: bytes) -> tuple[bytes, Any]:
    translator = new_stream_translator(upstream, client, model=MODEL, include_usage=True)
    out = [translator.feed(raw[i : i + 61]) for i in range(0, len(raw), 61)]
    out.append(translator.finish())
    assert translator.done
    return b"".join(out), translator.usage


def sse_payloads(raw: bytes) -> list[str]:
    parser = SseParser()
    return [event.data for event in parser.feed(raw) + parser.close() if event.data != "[DONE]"]


def calls_of(pairs: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    return [(name, json.loads(arguments)) for name, arguments in pairs]


EXPECTED_CALLS = [(call.name, call.arguments_object) for call in CALLS]


def read_json(client: ClientApi, body: bytes) -> tuple[str, list[tuple[str, Any]]]:
    """Text and tool calls of a client JSON body, read with the SDK types."""
    if client is ClientApi.CHAT:
        message = ChatCompletion.model_validate_json(body).choices[0].message
        tools = [
            (c.function.name, c.function.arguments)
            for c in message.tool_calls or []
            if c.type == "function"
        ]
        return message.content or "", calls_of(tools)
    if client is ClientApi.MESSAGES:
        blocks = Message.model_validate_json(body).content
        text = "".join(b.text for b in blocks if b.type == "text")
        return text, [(b.name, b.input) for b in blocks if b.type == "tool_use"]
    response = Response.model_validate_json(body)
    items = [(i.name, i.arguments) for i in response.output if i.type == "function_call"]
    return response.output_text, calls_of(items)


def read_stream(client: ClientApi, raw: bytes) -> tuple[str, list[tuple[str, Any]]]:
    """Text and tool calls accumulated from a client stream, each event read with the SDK."""
    payloads = sse_payloads(raw)
    if client is ClientApi.CHAT:
        text, names, arguments = "", {}, {}
        for chunk in (CHUNK_ADAPTER.validate_json(p) for p in payloads):
            for choice in chunk.choices:
                text += choice.delta.content or ""
                for call in choice.delta.tool_calls or []:
                    if call.function and call.function.name:
                        names[call.index] = call.function.name
                    if call.function and call.function.arguments:
                        arguments[call.index] = arguments.get(call.index, "") + (
                            call.function.arguments
                        )
        return text, calls_of([(names[i], arguments.get(i, "")) for i in sorted(names)])
    if client is ClientApi.MESSAGES:
        text, names, partial = "", {}, {}
        for event in (
            ANTHROPIC_EVENT.validate_json(p) for p in payloads if json.loads(p)["type"] != "ping"
        ):
            if event.type == "content_block_start" and event.content_block.type == "tool_use":
                names[event.index] = event.content_block.name
            elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                text += event.delta.text
            elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                partial[event.index] = partial.get(event.index, "") + event.delta.partial_json
        tools = [(names[i], partial.get(i) or "{}") for i in sorted(names)]
        return text, calls_of(tools)
    events = [RESPONSES_EVENT.validate_json(p) for p in payloads]
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response
    assert final.output_text == text
    items = [(i.name, i.arguments) for i in final.output if i.type == "function_call"]
    return text, calls_of(items)


@pytest.mark.parametrize("upstream", list(EXPECTED_USAGE), ids=lambda api: api.name)
def test_usage_is_the_same_from_json_and_stream(fake: FakeUpstream, upstream: UpstreamApi) -> None:
    expected = EXPECTED_USAGE[upstream]
    assert response_usage(fake_answer(fake, upstream, stream=False), upstream) == expected
    raw = fake_answer(fake, upstream, stream=True)
    for client in CLIENTS:
        assert translate_stream(upstream, client, raw)[1] == expected, client


@pytest.mark.parametrize("client", CLIENTS, ids=lambda api: api.name)
@pytest.mark.parametrize("upstream", list(EXPECTED_USAGE), ids=lambda api: api.name)
def test_json_translates_for_every_client(
    fake: FakeUpstream, upstream: UpstreamApi, client: ClientApi
) -> None:
    body = translate_response(
        fake_answer(fake, upstream, stream=False), upstream, client, model=MODEL
    )
    assert read_json(client, body) == (TEXT, EXPECTED_CALLS)
    usage = response_usage(body, CLIENT_AS_UPSTREAM[client])
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (40, 12)
    assert usage.cached_input_tokens == 10


@pytest.mark.parametrize("client", CLIENTS, ids=lambda api: api.name)
@pytest.mark.parametrize("upstream", list(EXPECTED_USAGE), ids=lambda api: api.name)
def test_stream_translates_for_every_client(
    fake: FakeUpstream, upstream: UpstreamApi, client: ClientApi
) -> None:
    out, _ = translate_stream(upstream, client, fake_answer(fake, upstream, stream=True))
    assert read_stream(client, out) == (TEXT, EXPECTED_CALLS)


def client_error_message(client: ClientApi, body: bytes) -> str:
    """The message of a client-dialect error body, read with the SDK's error types."""
    if client is ClientApi.MESSAGES:
        return ErrorResponse.model_validate_json(body).error.message
    return ErrorObject.model_validate(json.loads(body)["error"]).message


@pytest.mark.parametrize("status", [400, 429, 503])
@pytest.mark.parametrize("upstream", list(EXPECTED_USAGE), ids=lambda api: api.name)
def test_http_errors_translate_for_every_client(
    fake: FakeUpstream, upstream: UpstreamApi, status: int
) -> None:
    fake.reset()
    fake.enqueue(Reply.error(status, "upstream said no ✓"))
    path, body = request(upstream, False)
    response = post(fake.url + path, body)
    assert response.status == status
    for client in CLIENTS:
        translated = translate_error(response.body, status, upstream, client)
        assert client_error_message(client, translated) == "upstream said no ✓", client


@pytest.mark.parametrize("client", CLIENTS, ids=lambda api: api.name)
@pytest.mark.parametrize("upstream", list(EXPECTED_USAGE), ids=lambda api: api.name)
def test_mid_stream_errors_reach_every_client(
    fake: FakeUpstream, upstream: UpstreamApi, client: ClientApi
) -> None:
    fake.reset()
    fake.enqueue(Reply(text="a few words here", error_after_events=3, error_message="melted ✓"))
    path, body = request(upstream, True)
    out, _ = translate_stream(upstream, client, post(fake.url + path, body).body)
    assert "melted ✓" in out.decode()
