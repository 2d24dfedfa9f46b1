"""The three outcomes of ``/function_calling`` and its checks, for both backends: the
Arch-Function model (fake, streaming with log-probabilities) and native tool calling on the
default model (the fake upstream's tool calls)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from plano_testkit import FakeUpstream, Reply, ToolCall
from plano_testkit.arch_function import (
    ArchAnswer,
    FakeArchFunction,
    clarification_text,
    no_intent_text,
    tool_calls_text,
)

from .conftest import FcChain

CALL_ID = re.compile(r"^call_\d{4,5}$")
USER = [{"role": "user", "content": "What's the weather in Paris, in celsius?"}]
Calls = list[tuple[str, dict[str, Any]]]


@dataclass
class Backend:
    """One backend's chain and how to script its model."""

    name: str
    chain: FcChain
    no_intent: Callable[[str], None]
    clarify: Callable[[list[str], str], None]
    calls: Callable[[Calls], None]
    model_requests: Callable[[], int]


def _arch(chain: FcChain, fake: FakeArchFunction) -> Backend:
    return Backend(
        "arch",
        chain,
        lambda text: fake.enqueue(ArchAnswer(text=no_intent_text(text))),
        lambda fns, q: fake.enqueue(ArchAnswer(text=clarification_text(fns, q))),
        lambda calls: fake.enqueue(ArchAnswer(text=tool_calls_text(calls))),
        lambda: len(fake.bodies),
    )


def _native(chain: FcChain, fake: FakeUpstream) -> Backend:
    def clarify(functions: list[str], question: str) -> None:
        args = {"required_functions": functions, "clarification": question}
        fake.enqueue(
            Reply(tool_calls=[ToolCall(name="request_missing_parameters", arguments=args)])
        )

    def calls(items: Calls) -> None:
        fake.enqueue(Reply(tool_calls=[ToolCall(name=n, arguments=a) for n, a in items]))

    return Backend(
        "native",
        chain,
        lambda text: fake.enqueue(Reply(text=text)),
        clarify,
        calls,
        lambda: len(fake.requests),
    )


@pytest.fixture(params=["arch", "native"])
def backend(request: pytest.FixtureRequest, fake_upstream: FakeUpstream) -> Backend:
    if request.param == "arch":
        fake = request.getfixturevalue("fake_arch")
        return _arch(request.getfixturevalue("arch_chain"), fake)
    return _native(request.getfixturevalue("native_chain"), fake_upstream)


def _message(answer: Any) -> dict[str, Any]:
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["finish_reason"] == "stop"
    message: dict[str, Any] = answer["choices"][0]["message"]
    assert message["role"] == "assistant"
    return message


def _raw(answer: Any) -> Any:
    raw = answer["metadata"]["x-arch-fc-model-response"]
    assert raw.startswith("```json\n") and raw.endswith("\n```")
    return json.loads(raw[len("```json\n") : -len("\n```")])


def test_no_intent_answers_empty_content(backend: Backend) -> None:
    backend.no_intent("Hello! How can I help?")
    answer = backend.chain.ask([{"role": "user", "content": "hi there"}])
    message = _message(answer)
    assert message["content"] == "" and "tool_calls" not in message
    assert _raw(answer) == {"response": "Hello! How can I help?"}


def test_missing_parameter_answers_the_clarification(backend: Backend) -> None:
    backend.clarify(["get_weather"], "Which city?")
    answer = backend.chain.ask([{"role": "user", "content": "what's the weather?"}])
    message = _message(answer)
    assert message["content"] == "Which city?" and "tool_calls" not in message
    assert _raw(answer) == {"required_functions": ["get_weather"], "clarification": "Which city?"}


def test_single_tool_call(backend: Backend) -> None:
    backend.calls([("get_weather", {"city": "Paris", "unit": "celsius"})])
    message = _message(backend.chain.ask(USER))
    assert message["content"] == ""
    [call] = message["tool_calls"]
    assert CALL_ID.match(call["id"]) and call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris", "unit": "celsius"}


def test_parallel_tool_calls(backend: Backend) -> None:
    backend.calls(
        [
            ("get_weather", {"city": "Paris", "unit": "celsius"}),
            ("get_time", {"tz": "Europe/Paris"}),
        ]
    )
    message = _message(backend.chain.ask(USER))
    names = [c["function"]["name"] for c in message["tool_calls"]]
    assert names == ["get_weather", "get_time"]
    assert len({c["id"] for c in message["tool_calls"]}) == 2
    assert json.loads(message["tool_calls"][1]["function"]["arguments"]) == {"tz": "Europe/Paris"}


def test_wrong_type_coerced_to_string(backend: Backend) -> None:
    backend.calls([("get_weather", {"city": 75001, "unit": "celsius"})])
    [call] = _message(backend.chain.ask(USER))["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"city": "75001", "unit": "celsius"}


def test_wrong_type_rejected(backend: Backend) -> None:
    backend.calls([("get_weather", {"city": "Paris", "unit": "celsius", "days": "three"})])
    answer = backend.chain.ask(USER)
    message = _message(answer)
    assert message["content"] == "" and "tool_calls" not in message
    assert _raw(answer)["tool_calls"][0]["arguments"]["days"] == "three"


@pytest.mark.parametrize(
    "calls",
    [
        [("get_stock_price", {"ticker": "ACME"})],
        [("get_weather", {"unit": "celsius"})],
        [("get_weather", {"city": "Paris", "unit": "celsius", "color": "red"})],
    ],
    ids=["unknown-function", "missing-required", "undefined-parameter"],
)
def test_invalid_call_answers_no_tool_calls(backend: Backend, calls: Calls) -> None:
    backend.calls(calls)
    message = _message(backend.chain.ask(USER))
    assert message["content"] == "" and "tool_calls" not in message


def test_multi_turn_with_tool_results(backend: Backend) -> None:
    history = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "arguments": '{"city":"Paris","unit":"celsius"}',
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees, sunny"},
        {"role": "user", "content": "and what time is it there? (Europe/Paris)"},
    ]
    backend.calls([("get_time", {"tz": "Europe/Paris"})])
    [call] = _message(backend.chain.ask(history))["tool_calls"]
    assert call["function"]["name"] == "get_time"


def test_history_ending_with_assistant_is_400(backend: Backend) -> None:
    before = backend.model_requests()
    with pytest.raises(openai.BadRequestError) as caught:
        backend.chain.ask([*USER, {"role": "assistant", "content": "Sure."}])
    error = caught.value.response.json()
    assert error == {"error": "Invalid request body: Last message must be from user"}
    assert backend.model_requests() == before


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"messages": "hi"}', b'{"messages": [], "tools": []}'],
    ids=["not-json", "not-object", "messages-not-list", "no-messages"],
)
def test_invalid_body_is_400(backend: Backend, body: bytes) -> None:
    status, answer = backend.chain.post_raw(body)
    assert status == 400
    assert answer["error"].startswith("Invalid request body: ")
