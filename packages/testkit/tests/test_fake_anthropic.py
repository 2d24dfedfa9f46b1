"""The official `anthropic` SDK parses the fake's Messages API, streaming and not."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic import Anthropic, AsyncAnthropic

from hermesllm.usage import Usage
from plano_testkit import FakeUpstream, Reply, ToolCall
from plano_testkit.raw_client import post

SEARCH = ToolCall(name="search", arguments={"q": "weather", "limit": 3}, id="toolu_s")
FETCH = ToolCall(name="fetch", arguments={"url": "https://example.com"})
MESSAGES: Any = [{"role": "user", "content": "respond with exactly: Claude says hi"}]


@pytest.fixture
def client(fake: FakeUpstream) -> Anthropic:
    fake.reset()
    return Anthropic(base_url=fake.url, api_key="sk-ant-test", max_retries=0)


def create(client: Anthropic, **kwargs: Any) -> Any:
    return client.messages.create(
        model="claude-sonnet-4", max_tokens=256, messages=MESSAGES, **kwargs
    )


def test_json_message(client: Anthropic, fake: FakeUpstream) -> None:
    message = create(client)
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == "claude-sonnet-4"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Claude says hi"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    request = fake.last_request
    assert request.path == "/v1/messages"
    credentials = (request.headers.get("x-api-key"), request.headers.get("authorization"))
    assert credentials in {("sk-ant-test", None), (None, "Bearer sk-ant-test")}
    assert "anthropic-version" in request.headers


def test_json_thinking_and_tools(client: Anthropic, fake: FakeUpstream) -> None:
    usage = Usage(input_tokens=50, output_tokens=9, cached_input_tokens=30, cache_creation_tokens=7)
    fake.enqueue(
        Reply(thinking="Use both tools.", text="On it.", tool_calls=[SEARCH, FETCH], usage=usage)
    )
    message = create(client)
    assert [block.type for block in message.content] == ["thinking", "text", "tool_use", "tool_use"]
    thinking = message.content[0]
    assert thinking.thinking == "Use both tools." and thinking.signature
    tools = message.content[2:]
    assert tools[0].id == "toolu_s" and tools[0].name == "search"
    assert tools[0].input == {"q": "weather", "limit": 3}
    assert tools[1].id.startswith("toolu_") and tools[1].input == {"url": "https://example.com"}
    assert message.stop_reason == "tool_use"
    assert message.usage.cache_read_input_tokens == 30
    assert message.usage.cache_creation_input_tokens == 7
    assert message.usage.input_tokens == 13  # Anthropic leaves cache reads and writes out
    assert message.usage.cache_creation is not None
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == 7


@pytest.mark.parametrize(
    ("finish", "stop_reason"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal")],
)
def test_stop_reason_mapping(
    client: Anthropic, fake: FakeUpstream, finish: str, stop_reason: str
) -> None:
    fake.enqueue(Reply(text="x", finish_reason=finish))
    assert create(client).stop_reason == stop_reason


def test_stream_event_sequence(client: Anthropic, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(thinking="Think.", text="Answer here", tool_calls=[SEARCH]))
    events = list(create(client, stream=True))
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    starts = [e for e in events if e.type == "content_block_start"]
    assert [(e.index, e.content_block.type) for e in starts] == [
        (0, "thinking"),
        (1, "text"),
        (2, "tool_use"),
    ]
    stops = [e.index for e in events if e.type == "content_block_stop"]
    assert stops == [0, 1, 2]
    delta_kinds = {(e.index, e.delta.type) for e in events if e.type == "content_block_delta"}
    assert delta_kinds == {
        (0, "thinking_delta"),
        (0, "signature_delta"),
        (1, "text_delta"),
        (2, "input_json_delta"),
    }
    message_delta = events[-2]
    assert message_delta.delta.stop_reason == "tool_use"
    assert message_delta.usage.output_tokens > 0
    assert message_delta.usage.input_tokens is not None
    assert message_delta.usage.server_tool_use is not None
    start_usage = events[0].message.usage
    assert start_usage.input_tokens > 0
    assert start_usage.cache_creation is not None and start_usage.service_tier == "standard"


def test_stream_has_a_ping_event_the_sdk_skips(fake: FakeUpstream) -> None:
    body = {"model": "claude", "max_tokens": 5, "stream": True, "messages": MESSAGES}
    raw = post(fake.url + "/v1/messages", body).body
    assert b'event: ping\ndata: {"type":"ping"}\n\n' in raw
    assert raw.startswith(b"event: message_start\ndata: ")
    assert raw.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')


def test_stream_accumulator_final_message(client: Anthropic, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(thinking="Reason first.", text="Calling tools.", tool_calls=[SEARCH, FETCH]))
    with client.messages.stream(model="claude", max_tokens=256, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final: Any = stream.get_final_message()
    assert text == "Calling tools."
    assert [block.type for block in final.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert final.content[0].thinking == "Reason first."
    assert final.content[0].signature
    assert final.content[2].input == SEARCH.arguments
    assert final.content[3].input == FETCH.arguments
    assert final.stop_reason == "tool_use"
    assert final.usage.output_tokens > 0


async def test_async_client_against_fake_in_same_loop() -> None:
    async with FakeUpstream() as fake:
        client = AsyncAnthropic(base_url=fake.url, api_key="k", max_retries=0)
        async with client.messages.stream(
            model="claude", max_tokens=10, messages=MESSAGES
        ) as stream:
            final: Any = await stream.get_final_message()
        assert final.content[0].text == "Claude says hi"
        await client.close()


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.InternalServerError, "overloaded_error"),
    ],
)
def test_error_status_raises_sdk_class(
    client: Anthropic,
    fake: FakeUpstream,
    status: int,
    error_class: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    fake.enqueue(Reply.error(status, f"anthropic says no ({status})"))
    with pytest.raises(error_class) as raised:
        create(client)
    assert raised.value.status_code == status
    assert f"anthropic says no ({status})" in raised.value.message
    assert isinstance(raised.value.body, dict)
    assert raised.value.body == {
        "type": "error",
        "error": {"type": error_type, "message": f"anthropic says no ({status})"},
        "request_id": raised.value.request_id,
    }
    assert raised.value.request_id is not None


def test_mid_stream_error_event_raises(client: Anthropic, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="several words here", error_after_events=4, error_message="Overloaded"))
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        client.messages.stream(model="claude", max_tokens=10, messages=MESSAGES) as stream,
    ):
        for _ in stream:
            pass


def test_cut_stream_raises(client: Anthropic, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="several words here", cut_after_events=4))
    with (
        pytest.raises(Exception) as raised,
        client.messages.stream(model="claude", max_tokens=10, messages=MESSAGES) as stream,
    ):
        for _ in stream:
            pass
    # The SDK lets its HTTP library's protocol error through rather than wrapping it.
    error = raised.value
    assert isinstance(error, anthropic.APIConnectionError) or "incomplete chunked read" in str(
        error
    )


def _final(client: Anthropic) -> dict[str, Any]:
    with client.messages.stream(model="claude", max_tokens=10, messages=MESSAGES) as stream:
        return stream.get_final_message().model_dump()


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_rechunked_stream_parses_identically(
    client: Anthropic, rechunk: Any, chunk_size: int
) -> None:
    script = Reply(thinking="ü…", text="naïve café ✓", tool_calls=[SEARCH])
    whole, rechunked = rechunk(script, chunk_size, lambda: _final(client))
    assert rechunked == whole
