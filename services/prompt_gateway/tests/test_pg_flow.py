"""The prompt flow end to end with the openai SDK: the original's scenarios and more.

Processes: the prompt gateway; fakes in threads: the LLM (as egress), the function-calling
service, a developer API recording what it receives.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai
import pytest

from plano_testkit import Reply
from plano_testkit.function_calling import FcAnswer

Fakes = Gateway = Any

WEATHER = [
    {"date": "2024-12-12", "temperature": {"min": 72, "max": 90}, "units": "Farenheit"},
    {"date": "2024-12-13", "temperature": {"min": 52, "max": 70}, "units": "Farenheit"},
]
ASK = [{"role": "user", "content": "how is the weather in seattle for next 2 days"}]


def _sse_events(raw: bytes) -> list[Any]:
    events = []
    for block in raw.decode().split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def _state_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    state = json.loads(body["metadata"]["x-arch-state"])
    return list(json.loads(state["messages"]))


def test_weather_happy_path_has_two_state_messages(fakes: Fakes, gateway: Gateway) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle, WA", "days": "2"}))
    fakes.api.respond("/weather", 200, WEATHER)
    fakes.llm.enqueue(Reply(text="The weather in Seattle is mild."))
    completion = gateway.sdk().chat.completions.create(
        model="gpt-4o-mini", messages=ASK, temperature=0.2, max_tokens=77
    )
    assert completion.choices[0].message.content == "The weather in Seattle is mild."
    assert completion.model.startswith("gpt-4o-mini")
    body = completion.model_dump()
    messages = _state_messages(body)
    assert len(messages) == 2
    call = messages[0]["tool_calls"][0]["function"]
    assert call["name"] == "get_current_weather"
    assert json.loads(call["arguments"]) == {"location": "Seattle, WA", "days": "2"}
    assert messages[1]["role"] == "tool"
    assert json.loads(messages[1]["content"]) == WEATHER
    assert messages[1]["tool_call_id"] == messages[0]["tool_calls"][0]["id"]
    assert "```json" in body["metadata"]["x-arch-fc-model-response"]
    # The API got a plain JSON body: leftover arguments plus the unused default.
    api_request = fakes.api.received[0]
    assert (api_request.method, api_request.raw_path) == ("POST", "/weather")
    assert json.loads(api_request.body) == {
        "location": "Seattle, WA",
        "days": "2",
        "units": "fahrenheit",
    }
    # The LLM got the system prompt, the question with the API result as context, and every
    # client field.
    sent = fakes.llm.last_request.json
    assert sent["temperature"] == 0.2 and sent["max_tokens"] == 77
    assert sent["messages"][0] == {"role": "system", "content": "You are a helpful assistant."}
    assert sent["messages"][-1]["content"].startswith(ASK[0]["content"] + "\ncontext: ")
    assert "2024-12-13" in sent["messages"][-1]["content"]
    assert "metadata" not in sent and "tools" not in sent
    # The function-calling service saw the targets as tools.
    tools = {tool["function"]["name"]: tool for tool in fakes.fc.bodies[0]["tools"]}
    assert set(tools) == {"get_current_weather", "get_user", "raw_lookup", "default_target"}
    weather = tools["get_current_weather"]["function"]["parameters"]
    assert weather["required"] == ["location", "days"]
    assert weather["properties"]["location"] == {
        "type": "str",
        "description": "The location to get the weather for",
        "format": "city, state",
    }
    assert tools["get_user"]["function"]["parameters"]["properties"]["verbose"]["type"] == "bool"


def test_weather_streaming_starts_with_the_two_arch_function_chunks(
    fakes: Fakes, gateway: Gateway
) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle, WA", "days": "2"}))
    fakes.api.respond("/weather", 200, WEATHER)
    fakes.llm.enqueue(Reply(text="Sunny and mild all week."))
    stream = gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True)
    chunks = list(stream)
    first, second = chunks[0], chunks[1]
    assert first.model.startswith("Arch") and second.model.startswith("Arch")
    assert first.choices[0].delta.role == "assistant"
    fenced = first.choices[0].delta.content or ""
    payload = json.loads(fenced.split("```json\n", 1)[1].split("\n```", 1)[0])
    assert payload["tool_calls"][0]["name"] == "get_current_weather"
    assert second.choices[0].delta.role == "tool"  # type: ignore[comparison-overlap]
    assert json.loads(second.choices[0].delta.content or "") == WEATHER
    assert chunks[2].model.startswith("gpt-4o-mini")
    text = "".join(c.choices[0].delta.content or "" for c in chunks[2:] if c.choices)
    assert text == "Sunny and mild all week."
    for each in chunks[:2]:
        assert each.id and each.created and each.object == "chat.completion.chunk"
        assert each.choices[0].index == 0


def test_api_404_is_404_with_the_upstream_message(fakes: Fakes, gateway: Gateway) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle, WA", "days": "2"}))
    fakes.api.respond("/weather", 404, b"")
    with pytest.raises(openai.NotFoundError) as caught:
        gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=ASK)
    assert caught.value.status_code == 404
    assert caught.value.body["message"] == (  # type: ignore[index]
        "upstream application error host=weather_forecast_service, path=/weather, status=404, body="
    )
    assert len(fakes.llm.requests) == 0


def test_function_calling_500_is_500(fakes: Fakes, gateway: Gateway) -> None:
    fakes.fc.enqueue(FcAnswer.failing(500))
    with pytest.raises(openai.InternalServerError) as caught:
        gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=ASK)
    assert caught.value.status_code == 500
    assert caught.value.body["message"] == (  # type: ignore[index]
        "upstream application error host=arch_internal, path=/function_calling, status=500, body="
    )
    assert len(fakes.api.received) == 0


@pytest.mark.parametrize("stream", [False, True])
def test_default_target_reply_is_returned(fakes: Fakes, gateway: Gateway, stream: bool) -> None:
    reply = {
        "id": "chatcmpl-api",
        "object": "chat.completion",
        "created": 1,
        "model": "api_server",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi from the API"}}],
    }
    fakes.api.respond("/default_target", 200, reply)
    hello = [{"role": "user", "content": "hello"}]
    client = gateway.sdk()
    if stream:
        chunks = list(client.chat.completions.create(model="m", messages=hello, stream=True))
        assert chunks[0].model == "api_server"
        assert chunks[0].choices[0].delta.role == "assistant"
        assert chunks[1].choices[0].delta.content == "Hi from the API"
    else:
        completion = client.chat.completions.create(model="m", messages=hello)
        assert completion.model == "api_server"
        assert completion.choices[0].message.content == "Hi from the API"
    sent = fakes.api.received[0]
    assert sent.raw_path == "/default_target"
    assert json.loads(sent.body) == {"messages": hello}
    assert len(fakes.llm.requests) == 0


@pytest.mark.parametrize("stream", [False, True])
def test_parameter_gathering_returns_the_clarification(
    fakes: Fakes, gateway: Gateway, stream: bool
) -> None:
    question = "Of course. For how many days do you want the forecast?"
    fakes.fc.enqueue(FcAnswer.clarify(question))
    ask = [{"role": "user", "content": "how is the weather in seattle"}]
    client = gateway.sdk()
    if stream:
        chunks = list(client.chat.completions.create(model="m", messages=ask, stream=True))
        assert chunks[0].model == "Arch-Function"
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == question
    else:
        completion = client.chat.completions.create(model="m", messages=ask)
        assert completion.model == "Arch-Function"
        assert completion.choices[0].message.content == question
    assert len(fakes.api.received) == 0 and len(fakes.llm.requests) == 0


def test_get_target_path_query_defaults_and_env_header(fakes: Fakes, gateway: Gateway) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_user", {"user_id": "u 42", "extra": "a&b=c"}))
    fakes.llm.enqueue(Reply(text="User u 42 is active."))
    ask = [{"role": "user", "content": "tell me about user u 42"}]
    completion = gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=ask)
    assert completion.choices[0].message.content == "User u 42 is active."
    sent = fakes.api.received[0]
    assert sent.method == "GET"
    assert sent.raw_path == "/users/u%2042"
    assert sent.query_string == "extra=a%26b%3Dc&verbose=false"
    assert sent.headers["x-api-key"] == "dev-api-key-123"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-request-id"]
    assert sent.body == b""
    # The target's own system prompt wins over the global one.
    system = fakes.llm.last_request.json["messages"][0]
    assert system == {"role": "system", "content": "You summarize user accounts."}


@pytest.mark.parametrize("stream", [False, True])
def test_auto_dispatch_off_returns_the_api_body(
    fakes: Fakes, gateway: Gateway, stream: bool
) -> None:
    fakes.fc.enqueue(FcAnswer.call("raw_lookup", {"item": "widget"}))
    fakes.api.respond("/lookup/widget", 200, {"item": "widget", "stock": 3})
    ask = [{"role": "user", "content": "look up widget"}]
    client = gateway.sdk()
    if stream:
        chunks = list(client.chat.completions.create(model="m", messages=ask, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        completion = client.chat.completions.create(model="m", messages=ask)
        text = completion.choices[0].message.content or ""
        assert len(_state_messages(completion.model_dump())) == 2
    assert json.loads(text) == {"item": "widget", "stock": 3}
    assert len(fakes.llm.requests) == 0


def test_no_intent_without_default_target_goes_to_the_llm(
    fakes: Fakes, gateway_starter: Callable[..., Any]
) -> None:
    with gateway_starter(fakes, default_target=None) as gateway:
        fakes.llm.enqueue(Reply(text="plain answer"))
        history = [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [_tool_call("call_1")]},
            {"role": "tool", "content": "{}", "tool_call_id": "call_1"},
            {"role": "user", "content": "tell me a joke"},
        ]
        completion = gateway.sdk().chat.completions.create(
            model="gpt-4o-mini",
            messages=history,  # type: ignore[arg-type]
            seed=7,
        )
        assert completion.choices[0].message.content == "plain answer"
        sent = fakes.llm.last_request.json
        assert [m["role"] for m in sent["messages"]] == ["system", "user", "user"]
        assert sent["seed"] == 7


def _tool_call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "f", "arguments": "{}"}}


def test_multi_turn_feeds_the_state_back(fakes: Fakes, gateway: Gateway) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle, WA", "days": "2"}))
    fakes.api.respond("/weather", 200, WEATHER)
    fakes.llm.enqueue(Reply(text="Mild."), Reply(text="Rainy on Friday."))
    client = gateway.sdk()
    first = client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    metadata = first.model_dump()["metadata"]
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle, WA", "days": "5"}))
    turn_two = [
        *ASK,
        {"role": "assistant", "content": "Mild."},
        {"role": "user", "content": "and for 5 days?"},
    ]
    second = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=turn_two,  # type: ignore[arg-type]
        metadata={"x-arch-state": metadata["x-arch-state"]},
        store=True,
    )
    assert second.choices[0].message.content == "Rainy on Friday."
    seen = fakes.fc.bodies[1]["messages"]
    assert [m["role"] for m in seen] == ["user", "assistant", "tool", "assistant", "user"]
    assert seen[1]["tool_calls"][0]["function"]["name"] == "get_current_weather"
    assert "x-arch-state" not in fakes.fc.bodies[1].get("metadata", {})
    # The LLM never sees the tool-call history.
    llm_roles = [m["role"] for m in fakes.llm.last_request.json["messages"]]
    assert llm_roles == ["system", "user", "assistant", "user"]


def test_state_already_in_history_is_not_repeated(fakes: Fakes, gateway: Gateway) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle, WA", "days": "2"}))
    fakes.api.respond("/weather", 200, WEATHER)
    client = gateway.sdk()
    first = client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    metadata = first.model_dump()["metadata"]
    state = _state_messages(first.model_dump())
    fakes.fc.enqueue(FcAnswer.clarify("Which city?"))
    history = [
        *ASK,
        *state,
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "?"},
    ]
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=history,  # type: ignore[arg-type]
        metadata={"x-arch-state": metadata["x-arch-state"]},
        store=True,
    )
    assert len(fakes.fc.bodies[1]["messages"]) == len(history)
