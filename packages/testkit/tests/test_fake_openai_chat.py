"""The official `openai` SDK parses the fake's Chat Completions, streaming and not."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai import OpenAI

from hermesllm.usage import Usage
from plano_testkit import DEFAULT_TEXT, FakeUpstream, Reply, ToolCall
from plano_testkit.raw_client import post

WEATHER = ToolCall(name="get_weather", arguments={"city": "Paris", "unit": "celsius"}, id="call_w")
TIME = ToolCall(name="get_time", arguments={"zone": "Europe/Paris"}, id="call_t")
USER: Any = [{"role": "user", "content": "respond with exactly: Bonjour tout le monde"}]


@pytest.fixture
def client(fake: FakeUpstream) -> OpenAI:
    fake.reset()
    return OpenAI(base_url=fake.url + "/v1", api_key="sk-test", max_retries=0)


def test_json_completion_echoes_the_instruction(client: OpenAI, fake: FakeUpstream) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=USER)
    choice = completion.choices[0]
    assert choice.message.content == "Bonjour tout le monde"
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "stop"
    assert completion.model == "gpt-4o"
    assert completion.object == "chat.completion"
    assert completion.usage is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    request = fake.last_request
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.json["messages"] == USER


def test_default_text_without_instruction(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == DEFAULT_TEXT


def test_scripted_usage_and_reasoning(client: OpenAI, fake: FakeUpstream) -> None:
    usage = Usage(input_tokens=100, output_tokens=20, cached_input_tokens=40, reasoning_tokens=5)
    fake.enqueue(Reply(text="ok", thinking="Let me think.", usage=usage, finish_reason="length"))
    completion = client.chat.completions.create(model="m", messages=USER)
    assert completion.choices[0].finish_reason == "length"
    message = completion.choices[0].message.model_dump()
    assert message["reasoning_content"] == "Let me think."
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 100
    assert completion.usage.completion_tokens == 20
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 40
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 5


def test_json_parallel_tool_calls(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(tool_calls=[WEATHER, TIME]))
    completion = client.chat.completions.create(model="m", messages=USER)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls: list[Any] = list(choice.message.tool_calls or [])
    assert [(c.id, c.function.name) for c in calls] == [
        ("call_w", "get_weather"),
        ("call_t", "get_time"),
    ]
    assert json.loads(calls[0].function.arguments) == {"city": "Paris", "unit": "celsius"}


def test_stream_chunks_and_usage_chunk(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Bonjour tout le monde"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert all(reason is None for reason in finishes[:-1])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.obfuscation and c.system_fingerprint and c.service_tier for c in chunks)


def test_stream_sends_usage_null_until_the_usage_chunk(fake: FakeUpstream) -> None:
    fake.reset()
    body = {
        "model": "m",
        "messages": USER,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    events = post(fake.url + "/v1/chat/completions", body).body.split(b"\n\n")[:-1]
    assert events[-1] == b"data: [DONE]"
    chunks = [json.loads(event.removeprefix(b"data: ")) for event in events[:-1]]
    assert all("usage" in c and c["usage"] is None for c in chunks[:-1])
    assert all(choice["logprobs"] is None for c in chunks for choice in c["choices"])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


def test_stream_without_obfuscation_when_turned_off(client: OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="m", messages=USER, stream=True, stream_options={"include_obfuscation": False}
        )
    )
    assert all(c.obfuscation is None for c in chunks)


def test_stream_without_usage_option_has_no_usage_chunk(client: OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="m", messages=USER, stream=True))
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_stream_tool_call_deltas(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="Checking.", tool_calls=[WEATHER, TIME]))
    chunks = list(client.chat.completions.create(model="m", messages=USER, stream=True))
    deltas = [d for c in chunks for d in (c.choices[0].delta.tool_calls or [])]
    firsts: dict[int, Any] = {}
    arguments: dict[int, str] = {}
    for delta in deltas:
        if delta.index not in firsts:
            firsts[delta.index] = delta
            assert delta.id is not None and delta.function is not None
            assert delta.function.name is not None
        else:
            assert delta.id is None
            assert delta.function is not None and delta.function.name is None
        arguments[delta.index] = arguments.get(delta.index, "") + (delta.function.arguments or "")
    assert [firsts[i].id for i in (0, 1)] == ["call_w", "call_t"]
    assert json.loads(arguments[0]) == WEATHER.arguments
    assert json.loads(arguments[1]) == TIME.arguments
    assert len(deltas) > 4  # arguments arrive in several fragments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_stream_reasoning_content_deltas(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="42", thinking="First, consider the question."))
    chunks = list(client.chat.completions.create(model="m", messages=USER, stream=True))
    reasoning = "".join(
        c.choices[0].delta.model_dump().get("reasoning_content") or "" for c in chunks
    )
    assert reasoning == "First, consider the question."


def test_stream_accumulator_final_completion(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="Let me look.", tool_calls=[WEATHER, TIME]))
    tools: Any = [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
        for n in ("get_weather", "get_time")
    ]
    with client.chat.completions.stream(
        model="gpt-4o",
        messages=USER,
        tools=tools,
        stream_options={"include_usage": True},
    ) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert {"content.delta", "tool_calls.function.arguments.delta", "chunk"} <= kinds
    message = final.choices[0].message
    assert message.content == "Let me look."
    assert final.choices[0].finish_reason == "tool_calls"
    calls: list[Any] = list(message.tool_calls or [])
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert [json.loads(c.function.arguments) for c in calls] == [WEATHER.arguments, TIME.arguments]
    assert final.usage is not None and final.usage.total_tokens > 0


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_error_status_raises_sdk_class(
    client: OpenAI, fake: FakeUpstream, status: int, error_class: type[openai.APIStatusError]
) -> None:
    fake.enqueue(Reply.error(status, f"scripted failure {status}"))
    with pytest.raises(error_class) as raised:
        client.chat.completions.create(model="m", messages=USER)
    assert raised.value.status_code == status
    assert f"scripted failure {status}" in raised.value.message
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["message"] == f"scripted failure {status}"


def test_error_on_stream_request_raises_before_iteration(
    client: OpenAI, fake: FakeUpstream
) -> None:
    fake.enqueue(Reply.error(429, "slow down", error_type="requests"))
    with pytest.raises(openai.RateLimitError, match="slow down") as raised:
        client.chat.completions.create(model="m", messages=USER, stream=True)
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["type"] == "requests"


def test_mid_stream_error_event_raises(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(
        Reply(text="one two three four", error_after_events=3, error_message="upstream fell over")
    )
    stream = client.chat.completions.create(model="m", messages=USER, stream=True)
    received = []
    with pytest.raises(openai.APIError, match="upstream fell over"):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3


def test_cut_stream_raises(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="one two three four", cut_after_events=2))
    stream = client.chat.completions.create(model="m", messages=USER, stream=True)
    with pytest.raises(openai.APIConnectionError):
        list(stream)
    assert fake.last_request.wait_done_sync()
    assert fake.last_request.outcome.value == "cut"


def test_cut_json_body_raises(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="a longer body", chunk_size=16, cut_after_bytes=40))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=USER)


def _final(client: OpenAI) -> dict[str, Any]:
    with client.chat.completions.stream(
        model="m",
        messages=USER,
        stream_options={"include_usage": True},
    ) as stream:
        dumped = stream.get_final_completion().model_dump()
    dumped.pop("created")
    return dumped


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_rechunked_stream_parses_identically(
    client: OpenAI, fake: FakeUpstream, rechunk: Any, chunk_size: int
) -> None:
    script = Reply(text="Ünïcödé text, split anywhere ✓", thinking="hmm", tool_calls=[WEATHER])
    whole, rechunked = rechunk(script, chunk_size, lambda: _final(client))
    assert rechunked == whole
    assert fake.last_request.writes_sent > 100 // chunk_size


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_rechunked_json_parses_identically(
    client: OpenAI, fake: FakeUpstream, chunk_size: int
) -> None:
    whole = client.chat.completions.create(model="m", messages=USER).model_dump()
    fake.reset()
    fake.enqueue(Reply(chunk_size=chunk_size))
    pieces = client.chat.completions.create(model="m", messages=USER).model_dump()
    whole.pop("created")
    pieces.pop("created")
    assert pieces == whole


def test_azure_deployment_path(fake: FakeUpstream) -> None:
    fake.reset()
    client = openai.AzureOpenAI(
        azure_endpoint=fake.url,
        api_key="azure-key",
        api_version="2025-01-01-preview",
        max_retries=0,
    )
    completion = client.chat.completions.create(model="my-deployment", messages=USER)
    assert completion.choices[0].message.content == "Bonjour tout le monde"
    request = fake.last_request
    assert request.path == "/openai/deployments/my-deployment/chat/completions"
    assert request.query == {"api-version": "2025-01-01-preview"}
    assert request.headers["api-key"] == "azure-key"
    assert request.model == "my-deployment"


def test_groq_style_prefixed_path(fake: FakeUpstream) -> None:
    fake.reset()
    client = OpenAI(base_url=fake.url + "/openai/v1", api_key="gsk", max_retries=0)
    chunks = list(client.chat.completions.create(model="llama", messages=USER, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Bonjour tout le monde"
    assert fake.last_request.path == "/openai/v1/chat/completions"
