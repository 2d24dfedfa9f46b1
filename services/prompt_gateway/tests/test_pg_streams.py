"""The openai SDK's stream accumulator reads every stream the gateway produces; each stream is
well-formed (ids, object, created, index) and ends with `[DONE]`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from plano_testkit import Outcome, Reply
from plano_testkit.function_calling import FcAnswer
from plano_testkit.raw_client import post

WEATHER = {"forecast": "sunny"}
ASK = [{"role": "user", "content": "weather in Seattle for 2 days"}]
CHAT_REPLY = {
    "id": "chatcmpl-api",
    "object": "chat.completion",
    "created": 1,
    "model": "api_server",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "from the API"}}],
}


def _script_tool_call(fakes: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle", "days": "2"}))
    fakes.api.respond("/weather", 200, WEATHER)
    fakes.llm.enqueue(Reply(text="Sunny."))


def _script_clarification(fakes: Any) -> None:
    fakes.fc.enqueue(FcAnswer.clarify("For how many days?"))


def _script_default_target(fakes: Any) -> None:
    fakes.api.respond("/default_target", 200, CHAT_REPLY)


def _script_raw_lookup(fakes: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("raw_lookup", {"item": "x"}))
    fakes.api.respond("/lookup/x", 200, {"item": "x"})


SCENARIOS: dict[str, tuple[Callable[[Any], None], str]] = {
    "tool_call": (_script_tool_call, "Sunny."),
    "clarification": (_script_clarification, "For how many days?"),
    "default_target": (_script_default_target, "from the API"),
    "api_response": (_script_raw_lookup, '{"item":"x"}'),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_accumulator_reads_the_stream(fakes: Any, gateway: Any, name: str) -> None:
    script, expected = SCENARIOS[name]
    script(fakes)
    with gateway.sdk().chat.completions.stream(model="gpt-4o-mini", messages=ASK) as stream:
        final = stream.get_final_completion()
    content = final.choices[0].message.content or ""
    assert content.endswith(expected)
    assert final.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_raw_stream_is_well_formed(fakes: Any, gateway: Any, name: str) -> None:
    SCENARIOS[name][0](fakes)
    body = {"model": "gpt-4o-mini", "messages": ASK, "stream": True}
    response = post(f"{gateway.prompt_url}/v1/chat/completions", body, timeout=30)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [b for b in response.body.decode().split("\n\n") if b.strip()]
    assert blocks[-1] == "data: [DONE]"
    for block in blocks[:-1]:
        assert block.startswith("data: ")
        event = json.loads(block[len("data: ") :])
        assert event["object"] == "chat.completion.chunk"
        assert isinstance(event["id"], str) and event["id"]
        assert isinstance(event["created"], int)
        assert all(choice["index"] == 0 for choice in event["choices"])


def test_request_without_user_message_is_forwarded_unchanged(fakes: Any, gateway: Any) -> None:
    fakes.llm.enqueue(Reply(text="system only"))
    messages = [{"role": "system", "content": "be brief"}]
    with gateway.sdk().chat.completions.stream(
        model="gpt-4o-mini",
        messages=messages,  # type: ignore[arg-type]
        temperature=0.5,
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "system only"
    sent = fakes.llm.last_request.json
    assert sent["messages"] == messages and sent["temperature"] == 0.5
    assert len(fakes.fc.requests) == 0


def test_client_leaving_mid_stream_closes_the_llm_stream(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle", "days": "2"}))
    fakes.api.respond("/weather", 200, WEATHER)
    fakes.llm.enqueue(Reply(text=" ".join(["word"] * 200), chunk_gap=0.1))
    stream = gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True)
    for index, _ in enumerate(stream):
        if index == 3:
            break
    stream.close()
    upstream = fakes.llm.requests[0]
    assert upstream.wait_done_sync(within=10)
    assert upstream.outcome is Outcome.CLIENT_DISCONNECTED
