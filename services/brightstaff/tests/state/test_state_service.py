"""The state step on its own: merging, 409/503/400, capture of streamed and whole replies."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from brightstaff.seams import LlmRequest, StepError
from brightstaff.state.capture import ReplyCapture, final_event
from brightstaff.state.memory import MemoryStore
from brightstaff.state.metrics import StateMetrics
from brightstaff.state.service import ResponsesState
from brightstaff.state.store import ConversationRecord, StoreUnavailableError
from hermesllm.apis import ClientApi
from hermesllm.provider_ids import ProviderId

PROVIDERS = {
    "claude": ProviderId.ANTHROPIC,
    "gpt": ProviderId.OPENAI,
    "groq": ProviderId.GROQ,
    "bedrock": ProviderId.AMAZON_BEDROCK,
}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


def request(
    body: dict[str, Any], provider: str = "claude", api: ClientApi = ClientApi.RESPONSES
) -> LlmRequest:
    return LlmRequest(
        api=api,
        path="/v1/responses",
        body=body,
        headers={},
        request_id="req-1",
        requested_model="m",
        model="m",
        provider=provider,
        stream=bool(body.get("stream")),
        listener="model",
    )


def reply(response_id: str, *output: dict[str, Any], status: str = "completed") -> dict[str, Any]:
    return {"id": response_id, "object": "response", "status": status, "output": list(output)}


def sse(event_type: str, payload: dict[str, Any]) -> bytes:
    data = json.dumps({"type": event_type, **payload})
    return f"event: {event_type}\ndata: {data}\n\n".encode()


def output_message(text: str) -> dict[str, Any]:
    return {
        "id": "msg_x",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


class FailingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__(max_entries=10, ttl_seconds=60)
        self.failing = False

    async def get(self, response_id: str) -> ConversationRecord | None:
        if self.failing:
            raise StoreUnavailableError("down")
        return await super().get(response_id)

    async def put(self, record: ConversationRecord) -> None:
        if self.failing:
            raise StoreUnavailableError("down")
        await super().put(record)


@pytest.fixture
def store() -> FailingStore:
    return FailingStore()


@pytest.fixture
def state(store: FailingStore) -> ResponsesState:
    return ResponsesState(store, PROVIDERS)


async def test_only_responses_requests_to_stateless_upstreams(state: ResponsesState) -> None:
    assert await state.prepare(request({"input": "hi"}, api=ClientApi.CHAT)) is None
    native = request({"input": "hi", "previous_response_id": "resp_openai"}, provider="gpt")
    assert await state.prepare(native) is None
    assert native.body["previous_response_id"] == "resp_openai"
    for provider in ("claude", "groq", "bedrock"):
        assert isinstance(await state.prepare(request({"input": "hi"}, provider)), ReplyCapture)


async def test_two_turns_non_streaming(state: ResponsesState, store: FailingStore) -> None:
    first = request({"model": "m", "input": "hello"})
    turn = await state.prepare(first)
    assert turn is not None and first.body["input"] == "hello"
    await turn.on_response_body(json.dumps(reply("resp_1", output_message("hi there"))).encode())
    stored = await store.get("resp_1")
    assert stored is not None
    assert stored.model == "m" and stored.provider == "claude"

    second = request({"model": "m", "input": [user("again")], "previous_response_id": "resp_1"})
    turn = await state.prepare(second)
    assert turn is not None
    assert "previous_response_id" not in second.body
    assert second.body["input"] == [user("hello"), assistant("hi there"), user("again")]


async def test_streamed_reply_is_stored_on_the_final_event(
    state: ResponsesState, store: FailingStore
) -> None:
    turn = await state.prepare(request({"input": "hello", "stream": True}))
    assert turn is not None
    await turn.on_stream_events(
        sse("response.created", {"response": reply("resp_9", status="in_progress")})
    )
    await turn.on_stream_events(
        sse("response.output_text.delta", {"delta": "response.completed", "item_id": "msg_x"})
    )
    assert await store.get("resp_9") is None
    await turn.on_stream_events(
        sse("response.completed", {"response": reply("resp_9", output_message("ok"))})
    )
    stored = await store.get("resp_9")
    assert stored is not None and len(stored.input_items) == 2


async def test_a_final_event_among_others_in_one_part_is_stored(
    state: ResponsesState, store: FailingStore
) -> None:
    turn = await state.prepare(request({"input": "hello", "stream": True}))
    assert turn is not None
    delta = sse("response.output_text.delta", {"delta": "response.completed", "item_id": "m"})
    await turn.on_stream_events(delta + delta)
    assert await store.get("resp_7") is None
    final = sse("response.completed", {"response": reply("resp_7", output_message("ok"))})
    await turn.on_stream_events(delta + final + b"data: [DONE]\n\n")
    stored = await store.get("resp_7")
    assert stored is not None and len(stored.input_items) == 2


def test_final_response_is_found_among_events_that_only_mention_it() -> None:
    mention = sse("response.output_text.delta", {"delta": "response.incomplete response.completed"})
    final = sse("response.incomplete", {"response": reply("resp_i", status="incomplete")})
    found = final_event(final.removesuffix(b"\n\n"))
    assert found is not None and found[1].id == "resp_i"
    found = final_event(mention + final + mention)
    assert found is not None and found[1].id == "resp_i" and found[1].status == "incomplete"
    assert found[0] == len(mention)
    assert final_event(mention * 3) is None
    assert final_event(sse("response.failed", {"response": reply("r", status="failed")})) is None
    assert final_event(b"event: response.completed\ndata: {not json\n\n") is None


async def test_incomplete_is_stored_failed_and_abandoned_are_not(
    state: ResponsesState, store: FailingStore
) -> None:
    turn = await state.prepare(request({"input": "a", "stream": True}))
    assert turn is not None
    await turn.on_stream_events(
        sse(
            "response.incomplete",
            {"response": reply("resp_inc", output_message("cut"), status="incomplete")},
        )
    )
    assert await store.get("resp_inc") is not None
    turn = await state.prepare(request({"input": "a", "stream": True}))
    assert turn is not None
    await turn.on_stream_events(
        sse("response.failed", {"response": reply("resp_fail", status="failed")})
    )
    assert await store.get("resp_fail") is None
    turn = await state.prepare(request({"input": "a", "stream": True}))
    assert turn is not None
    turn.abandon()
    await turn.on_stream_events(
        sse("response.completed", {"response": reply("resp_ab", output_message("x"))})
    )
    assert await store.get("resp_ab") is None


async def test_tool_call_and_result_across_turns(
    state: ResponsesState, store: FailingStore
) -> None:
    call = {
        "id": "fc_1",
        "type": "function_call",
        "status": "completed",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }
    turn = await state.prepare(
        request(
            {"input": "weather in Paris?", "tools": [{"type": "function", "name": "get_weather"}]}
        )
    )
    assert turn is not None
    await turn.on_response_body(msgspec.json.encode(reply("resp_t1", call)))
    result = {"type": "function_call_output", "call_id": "call_1", "output": "sunny"}
    second = request({"input": [result], "previous_response_id": "resp_t1"})
    await state.prepare(second)
    assert second.body["input"] == [
        user("weather in Paris?"),
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        result,
    ]


async def test_unknown_previous_id_is_409_in_openai_shape(state: ResponsesState) -> None:
    with pytest.raises(StepError) as caught:
        await state.prepare(request({"input": "x", "previous_response_id": "resp_nope"}))
    error = caught.value
    assert error.status == 409
    assert error.body is not None
    assert json.loads(error.body) == {
        "error": {
            "message": "Conversation state not found for previous_response_id: resp_nope",
            "type": "conflict_error",
            "param": "previous_response_id",
            "code": "previous_response_not_found",
        }
    }


@pytest.mark.parametrize("bad", [12, "", "x" * 300])
async def test_malformed_previous_id_is_400(state: ResponsesState, bad: object) -> None:
    with pytest.raises(StepError) as caught:
        await state.prepare(request({"input": "x", "previous_response_id": bad}))
    assert caught.value.status == 400


async def test_malformed_input_is_400(state: ResponsesState) -> None:
    with pytest.raises(StepError) as caught:
        await state.prepare(request({"input": 5}))
    assert caught.value.status == 400
    assert json.loads(caught.value.body or b"")["error"]["param"] == "input"


async def test_store_down_is_503_only_for_requests_that_load(
    state: ResponsesState, store: FailingStore
) -> None:
    store.failing = True
    with pytest.raises(StepError) as caught:
        await state.prepare(request({"input": "x", "previous_response_id": "resp_1"}))
    assert caught.value.status == 503
    assert json.loads(caught.value.body or b"")["error"]["type"] == "server_error"
    turn = await state.prepare(request({"input": "new conversation"}))
    assert turn is not None
    await turn.on_response_body(msgspec.json.encode(reply("resp_2", output_message("ok"))))
    store.failing = False
    assert await store.get("resp_2") is None


async def test_failed_loads_and_stores_are_counted(store: FailingStore) -> None:
    registry = CollectorRegistry()
    state = ResponsesState(store, PROVIDERS, metrics=StateMetrics(registry))
    store.failing = True
    with pytest.raises(StepError):
        await state.prepare(request({"input": "x", "previous_response_id": "resp_1"}))
    turn = await state.prepare(request({"input": "new conversation"}))
    assert turn is not None
    await turn.on_response_body(msgspec.json.encode(reply("resp_2", output_message("ok"))))

    def count(operation: str, outcome: str) -> float | None:
        labels = {"operation": operation, "outcome": outcome}
        return registry.get_sample_value("brightstaff_state_operations_total", labels)

    assert count("load", "error") == 1
    assert count("store", "error") == 1
    assert count("store", "stored") == 0
    seconds = "brightstaff_state_operation_duration_seconds_count"
    assert registry.get_sample_value(seconds, {"operation": "load"}) == 1


async def test_store_false_continues_but_does_not_store(
    state: ResponsesState, store: FailingStore
) -> None:
    await store.put(ConversationRecord("resp_1", [user("a")], 1, "m", "claude"))
    body = {"input": "b", "previous_response_id": "resp_1", "store": False}
    assert await state.prepare(request(body)) is None
    assert body["input"] == [user("a"), user("b")]


async def test_replies_without_id_or_json_store_nothing(
    state: ResponsesState, store: FailingStore
) -> None:
    turn = await state.prepare(request({"input": "a"}))
    assert turn is not None
    await turn.on_response_body(b"not json")
    turn = await state.prepare(request({"input": "a"}))
    assert turn is not None
    await turn.on_response_body(msgspec.json.encode(reply("", output_message("x"))))
    assert len(store) == 0
