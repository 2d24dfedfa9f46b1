"""Conversations with `previous_response_id` through the real chain: openai SDK → brightstaff
model listener → llm_gateway → fake upstream (Anthropic, Bedrock, chat-completions), on the
memory store, on PostgreSQL, and on two replicas sharing PostgreSQL (turns alternate)."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from plano_testkit import FakeUpstream
from plano_testkit.recording import RecordedRequest
from plano_testkit.reply import Reply, ToolCall
from plano_testkit.wire.common import WireApi

MODELS = {
    "anthropic": "claude-sonnet-4-5",
    "bedrock": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "chat": "llama-3.1-8b-instant",
}
TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
Turn = tuple[str, str]


@pytest.fixture(scope="module", params=["memory", "postgres", "postgres-2-replicas"])
def deployment(
    request: pytest.FixtureRequest, database_url: str, state_deployer: Any, storage_sections: Any
) -> Iterator[Any]:
    """One deployment per store; its own fake upstream is never reset, so the upstream ids
    (and so the response ids) never repeat within the store."""
    memory, postgres = storage_sections
    with contextlib.ExitStack() as stack:
        fake = stack.enter_context(FakeUpstream())
        if request.param == "memory":
            storages = [memory]
        else:
            _, url = stack.enter_context(request.getfixturevalue("schema_factory")())
            storages = [postgres(url)] * (2 if request.param == "postgres-2-replicas" else 1)
        yield stack.enter_context(state_deployer(fake, storages))


def seen_turns(recorded: RecordedRequest) -> list[Turn]:
    """The conversation an upstream request carried, as (role, text) pairs, system excluded."""
    body = recorded.json
    turns: list[Turn] = []
    for message in body["messages"]:
        role = message["role"]
        if role == "system":
            continue
        if recorded.api is WireApi.CHAT:
            turns.extend(_chat_turns(message))
        elif recorded.api is WireApi.BEDROCK:
            turns.extend(_bedrock_turns(role, message["content"]))
        else:
            turns.extend(_anthropic_turns(role, message["content"]))
    return turns


def _chat_turns(message: dict[str, Any]) -> list[Turn]:
    role, content = message["role"], message.get("content")
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content)
    turns = [(role, content)] if content else []
    for call in message.get("tool_calls") or ():
        function = call["function"]
        turns.append(("call", f"{function['name']} {json.loads(function['arguments'])}"))
    return [("result", text) if r == "tool" else (r, text) for r, text in turns]


def _bedrock_turns(role: str, content: list[dict[str, Any]]) -> list[Turn]:
    turns: list[Turn] = []
    for block in content:
        if "text" in block:
            turns.append((role, block["text"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            turns.append(("call", f"{use['name']} {use['input']}"))
        elif "toolResult" in block:
            parts = block["toolResult"]["content"]
            turns.append(("result", "".join(p.get("text", "") for p in parts)))
    return turns


def _anthropic_turns(role: str, content: Any) -> list[Turn]:
    if isinstance(content, str):
        return [(role, content)]
    turns: list[Turn] = []
    for block in content:
        if block["type"] == "text":
            turns.append((role, block["text"]))
        elif block["type"] == "tool_use":
            turns.append(("call", f"{block['name']} {block['input']}"))
        elif block["type"] == "tool_result":
            inner = block["content"]
            text = inner if isinstance(inner, str) else "".join(p.get("text", "") for p in inner)
            turns.append(("result", text))
    return turns


def create(deployment: Any, turn: int, stream: bool, **kwargs: Any) -> Any:
    """One turn on replica `turn % n`; a stream is read to its final event."""
    with deployment.sdk(turn) as sdk:
        if not stream:
            return sdk.responses.create(**kwargs)
        with sdk.responses.stream(**kwargs) as events:
            for event in events:
                if event.type == "response.completed":
                    return event.response
    raise AssertionError("stream ended without response.completed")


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("provider", list(MODELS))
def test_three_turns_carry_the_whole_history(deployment: Any, provider: str, stream: bool) -> None:
    model = MODELS[provider]
    prompts = ["I am Ada.", "What is my name?", "Spell it."]
    answers = ["Hello Ada!", "Your name is Ada.", "A-D-A"]
    previous: str | None = None
    expected: list[Turn] = []
    for turn, (prompt, answer) in enumerate(zip(prompts, answers, strict=True)):
        deployment.fake.enqueue(Reply(text=answer))
        extra = {"previous_response_id": previous} if previous else {}
        response = create(deployment, turn, stream, model=model, input=prompt, **extra)
        assert response.output_text == answer
        expected.append(("user", prompt))
        assert seen_turns(deployment.fake.last_request) == expected
        expected.append(("assistant", answer))
        previous = response.id


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("provider", list(MODELS))
def test_tool_call_and_its_result_across_turns(
    deployment: Any, provider: str, stream: bool
) -> None:
    model = MODELS[provider]
    deployment.fake.enqueue(
        Reply(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})]),
        Reply(text="It is sunny in Paris."),
    )
    first = create(deployment, 0, stream, model=model, input="Weather in Paris?", tools=[TOOL])
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    result = {"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny, 21C"}
    second = create(
        deployment,
        1,
        stream,
        model=model,
        input=[result],
        previous_response_id=first.id,
        tools=[TOOL],
    )
    assert second.output_text == "It is sunny in Paris."
    assert seen_turns(deployment.fake.last_request) == [
        ("user", "Weather in Paris?"),
        ("call", "get_weather {'city': 'Paris'}"),
        ("result", "sunny, 21C"),
    ]


def test_retrieve_list_input_items_and_delete(deployment: Any) -> None:
    model = MODELS["anthropic"]
    deployment.fake.enqueue(Reply(text="one"), Reply(text="two"))
    first = create(deployment, 0, False, model=model, input="first")
    second = create(deployment, 1, True, model=model, input="second", previous_response_id=first.id)
    with deployment.sdk(0) as sdk:
        got = sdk.responses.retrieve(second.id)
        assert got.id == second.id and got.output_text == "two"
        items = list(sdk.responses.input_items.list(second.id, order="asc"))
        texts = [(i.role, i.content[0].text) for i in items]  # type: ignore[union-attr]
        assert texts == [("user", "first"), ("assistant", "one"), ("user", "second")]
        sdk.responses.delete(second.id)
        with pytest.raises(openai.NotFoundError):
            sdk.responses.retrieve(second.id)
    with deployment.sdk(1) as sdk:
        with pytest.raises(openai.ConflictError):
            sdk.responses.create(model=model, input="x", previous_response_id=second.id)
        assert sdk.responses.retrieve(first.id).output_text == "one"


def state_samples(metrics_url: str) -> dict[tuple[str, str], float]:
    """The `brightstaff_state_*` samples of a replica, by name and label values."""
    with urllib.request.urlopen(f"{metrics_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, ",".join(sample.labels.values())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("brightstaff_state_")
        for sample in family.samples
    }


def test_a_replica_counts_its_state_operations(deployment: Any) -> None:
    model = MODELS["anthropic"]
    before = state_samples(deployment.metrics_urls[0])
    deployment.fake.enqueue(Reply(text="one"), Reply(text="two"))
    first = create(deployment, 0, False, model=model, input="first")
    create(deployment, 0, True, model=model, input="second", previous_response_id=first.id)
    with deployment.sdk(0) as sdk:
        with pytest.raises(openai.ConflictError):
            sdk.responses.create(model=model, input="x", previous_response_id="resp_not_there")
        sdk.responses.delete(first.id)
    after = state_samples(deployment.metrics_urls[0])

    def added(name: str, labels: str) -> float:
        return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

    operations = "brightstaff_state_operations_total"
    assert added(operations, "store,stored") == 2
    assert added(operations, "load,found") == 1
    assert added(operations, "load,unknown") == 1
    assert added(operations, "delete,deleted") == 1
    assert added("brightstaff_state_operation_duration_seconds_count", "store") == 2
    if deployment.uses_postgres:
        # The second turn's history was written by this replica: served from its cache.
        assert added("brightstaff_state_cache_lookups_total", "hit") == 1
        assert added("brightstaff_state_cache_lookups_total", "miss") == 1
        assert after[("brightstaff_state_cache_in_use", "")] == 1
    else:
        assert not any(name.startswith("brightstaff_state_cache") for name, _ in after)


def test_unknown_previous_response_is_409(deployment: Any) -> None:
    sent = len(deployment.fake.requests)
    with deployment.sdk(0) as sdk, pytest.raises(openai.ConflictError) as caught:
        sdk.responses.create(model=MODELS["chat"], input="x", previous_response_id="resp_unknown")
    assert caught.value.body == {
        "message": "Conversation state not found for previous_response_id: resp_unknown",
        "type": "conflict_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }
    assert len(deployment.fake.requests) == sent


def test_the_internal_port_serves_the_same_routes(deployment: Any) -> None:
    deployment.fake.enqueue(Reply(text="stored"))
    response = create(deployment, 0, False, model=MODELS["bedrock"], input="hi")
    replica = deployment.replicas[-1]
    with openai.OpenAI(base_url=f"{replica.url}/v1", api_key="k", max_retries=0) as sdk:
        assert sdk.responses.retrieve(response.id).output_text == "stored"


def test_openai_upstream_keeps_its_own_state(deployment: Any) -> None:
    deployment.fake.enqueue(Reply(text="native"))
    with deployment.sdk(0) as sdk:
        response = sdk.responses.create(
            model="gpt-4o-mini", input="hi", previous_response_id="resp_at_openai"
        )
        assert response.output_text == "native"
        assert deployment.fake.last_request.json["previous_response_id"] == "resp_at_openai"
        with pytest.raises(openai.NotFoundError):
            sdk.responses.retrieve(response.id)


def test_a_follow_up_sent_on_the_final_event_sees_the_state(deployment: Any) -> None:
    model = MODELS["anthropic"]
    deployment.fake.enqueue(Reply(text="streamed", chunk_gap=0.01), Reply(text="after"))
    with (
        deployment.sdk(0) as first,
        deployment.sdk(1) as second,
        first.responses.stream(model=model, input="go") as events,
    ):
        for event in events:
            if event.type == "response.completed":
                follow = second.responses.create(
                    model=model, input="more", previous_response_id=event.response.id
                )
                break
    assert follow.output_text == "after"
    assert seen_turns(deployment.fake.last_request) == [
        ("user", "go"),
        ("assistant", "streamed"),
        ("user", "more"),
    ]


def test_a_reply_that_fails_mid_stream_stores_nothing(deployment: Any) -> None:
    deployment.fake.enqueue(Reply(text="never finished", cut_after_events=3))
    ids: list[str] = []
    with deployment.sdk(0) as sdk:
        stream = sdk.responses.create(model=MODELS["anthropic"], input="x", stream=True)
        try:
            for event in stream:
                response = getattr(event, "response", None)
                if response is not None:
                    ids.append(response.id)
        except openai.APIError:
            pass
        assert ids, "the stream started"
        with pytest.raises(openai.NotFoundError):
            sdk.responses.retrieve(ids[0])
