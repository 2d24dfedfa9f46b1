"""The official `openai` SDK parses the fake's Responses API, streaming and not."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai import OpenAI

from plano_testkit import FakeUpstream, Reply, ToolCall

LOOKUP = ToolCall(name="lookup", arguments={"query": "plano gateway"}, id="call_l")
SUM = ToolCall(name="add", arguments='{"a": 1, "b": 2}', id="call_s")
INPUT = "respond with exactly: Responses are fine"


@pytest.fixture
def client(fake: FakeUpstream) -> OpenAI:
    fake.reset()
    return OpenAI(base_url=fake.url + "/v1", api_key="sk-test", max_retries=0)


def test_json_response_echoes_string_input(client: OpenAI, fake: FakeUpstream) -> None:
    response = client.responses.create(model="gpt-4.1", input=INPUT)
    assert response.output_text == "Responses are fine"
    assert response.status == "completed"
    assert response.model == "gpt-4.1"
    assert response.id.startswith("resp_")
    assert response.output[0].type == "message"
    assert response.usage is not None
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert fake.last_request.path == "/v1/responses"


def test_json_echoes_item_list_input(client: OpenAI) -> None:
    items: Any = [
        {"role": "user", "content": [{"type": "input_text", "text": "earlier"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "input_text", "text": "respond with exactly: last"}]},
    ]
    assert client.responses.create(model="m", input=items).output_text == "last"


def test_json_function_calls_and_reasoning(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(thinking="Need two tools.", tool_calls=[LOOKUP, SUM]))
    response = client.responses.create(model="m", input=INPUT)
    kinds = [item.type for item in response.output]
    assert kinds == ["reasoning", "function_call", "function_call"]
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.call_id, c.name) for c in calls] == [("call_l", "lookup"), ("call_s", "add")]
    assert json.loads(calls[1].arguments) == {"a": 1, "b": 2}
    reasoning = response.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == "Need two tools."


def test_length_finish_is_incomplete(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="truncat", finish_reason="length"))
    response = client.responses.create(model="m", input=INPUT)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


def test_stream_lifecycle_and_sequence_numbers(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="Hello there", tool_calls=[LOOKUP]))
    events = list(client.responses.create(model="m", input=INPUT, stream=True))
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    expected_order = [
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]
    collapsed = [k for i, k in enumerate(kinds[2:-1]) if i == 0 or kinds[2:-1][i - 1] != k]
    assert collapsed == expected_order
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Hello there"
    done = events[-1]
    assert done.type == "response.completed"
    assert done.response.output_text == "Hello there"
    assert done.response.usage is not None


def test_stream_delta_padding_and_final_fields(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="Padded words", thinking="Hmm.", tool_calls=[LOOKUP]))
    events = list(client.responses.create(model="m", input=INPUT, stream=True))
    deltas = [e for e in events if e.type.endswith(".delta")]
    assert {e.type for e in deltas} == {
        "response.reasoning_summary_text.delta",
        "response.output_text.delta",
        "response.function_call_arguments.delta",
    }
    assert all(e.model_dump().get("obfuscation") for e in deltas)
    created, done = events[0], events[-1]
    assert created.type == "response.created" and created.response.completed_at is None
    assert done.type == "response.completed" and done.response.completed_at is not None
    assert done.response.usage is not None
    assert done.response.usage.input_tokens_details.cache_write_tokens == 0
    assert done.response.text is not None and done.response.text.verbosity == "medium"


def test_stream_without_obfuscation_when_turned_off(client: OpenAI) -> None:
    events = list(
        client.responses.create(
            model="m", input=INPUT, stream=True, stream_options={"include_obfuscation": False}
        )
    )
    assert not any("obfuscation" in e.model_dump(exclude_unset=True) for e in events)


def test_stream_accumulator_final_response(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="Looking it up.", thinking="Plan.", tool_calls=[LOOKUP, SUM]))
    with client.responses.stream(model="m", input=INPUT) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "Looking it up."
    assert final.output_text == "Looking it up."
    assert [item.type for item in final.output] == [
        "reasoning",
        "message",
        "function_call",
        "function_call",
    ]
    calls = [item for item in final.output if item.type == "function_call"]
    assert [json.loads(c.arguments) for c in calls] == [LOOKUP.arguments, {"a": 1, "b": 2}]


def test_stream_incomplete_lifecycle(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="cut short", finish_reason="length"))
    events = list(client.responses.create(model="m", input=INPUT, stream=True))
    assert events[-1].type == "response.incomplete"


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, openai.BadRequestError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
    ],
)
def test_error_status_raises(
    client: OpenAI, fake: FakeUpstream, status: int, error_class: type[openai.APIStatusError]
) -> None:
    fake.enqueue(Reply.error(status, "responses failure"))
    with pytest.raises(error_class, match="responses failure"):
        client.responses.create(model="m", input=INPUT)


def test_mid_stream_error_event(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="a b c d", error_after_events=4, error_message="model crashed"))
    events = list(client.responses.create(model="m", input=INPUT, stream=True))
    assert len(events) == 5
    error = events[-1]
    assert error.type == "error"
    assert error.message == "model crashed"
    assert error.sequence_number == 4


def test_cut_stream_raises(client: OpenAI, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="a b c d", cut_after_events=5))
    with (
        pytest.raises(openai.APIConnectionError),
        client.responses.stream(model="m", input=INPUT) as stream,
    ):
        for _ in stream:
            pass


def _final(client: OpenAI) -> dict[str, Any]:
    with client.responses.stream(model="m", input=INPUT) as stream:
        dumped = stream.get_final_response().model_dump()
    dumped.pop("created_at")
    dumped.pop("completed_at")
    return dumped


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_rechunked_stream_parses_identically(client: OpenAI, rechunk: Any, chunk_size: int) -> None:
    script = Reply(text="Größe ✓ and more", thinking="t", tool_calls=[SUM])
    whole, rechunked = rechunk(script, chunk_size, lambda: _final(client))
    assert rechunked == whole
