"""The package root is the API users call: a request, a response, a stream and an error."""

from __future__ import annotations

import json

import hermesllm
from hermesllm import (
    ClientApi,
    ProviderId,
    UpstreamApi,
    Usage,
    new_stream_translator,
    prepare_upstream_request,
    translate_error,
    translate_response,
    translate_response_with_usage,
    upstream_api_for,
    upstream_path,
)

CHAT_REQUEST = json.dumps(
    {"model": "claude", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
).encode()
ANTHROPIC_REPLY = json.dumps(
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": "Hello."}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 5, "output_tokens": 2},
    }
).encode()


def test_every_name_in_all_is_importable_from_the_root() -> None:
    assert hermesllm.__all__ == sorted(hermesllm.__all__, key=lambda n: (n[0].islower(), n))
    for name in hermesllm.__all__:
        assert getattr(hermesllm, name) is not None


def test_a_chat_request_to_anthropic_and_back() -> None:
    upstream = upstream_api_for(ProviderId.ANTHROPIC, ClientApi.CHAT)
    assert upstream is UpstreamApi.MESSAGES
    assert upstream_path(ProviderId.ANTHROPIC, ClientApi.CHAT, "m", False) == "/v1/messages"
    body = json.loads(
        prepare_upstream_request(
            CHAT_REQUEST,
            ClientApi.CHAT,
            upstream,
            provider=ProviderId.ANTHROPIC,
            model="claude-sonnet-4-20250514",
        )
    )
    assert body["model"] == "claude-sonnet-4-20250514"
    assert body["messages"][0]["role"] == "user"
    reply = json.loads(
        translate_response(ANTHROPIC_REPLY, upstream, ClientApi.CHAT, model="fallback")
    )
    assert reply["choices"][0]["message"]["content"] == "Hello."
    _, usage = translate_response_with_usage(
        ANTHROPIC_REPLY, upstream, ClientApi.CHAT, model="fallback"
    )
    assert usage == Usage(5, 2)


def test_a_stream_and_an_error() -> None:
    translator = new_stream_translator(UpstreamApi.MESSAGES, ClientApi.CHAT, model="m")
    event = {"type": "message_start", "message": {"id": "msg_1", "model": "m", "usage": {}}}
    out = translator.feed(f"event: message_start\ndata: {json.dumps(event)}\n\n".encode())
    out += translator.finish()
    assert out.startswith(b"data: ")
    error = json.loads(
        translate_error(b'{"error":{"message":"nope"}}', 429, UpstreamApi.CHAT, ClientApi.MESSAGES)
    )
    assert error["type"] == "error"
    assert error["error"]["message"] == "nope"
