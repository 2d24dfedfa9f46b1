"""Small pieces of the filter and agent code: JSON-RPC reply reading, tool results, agent
reply text, error bodies, agent selection fallbacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from brightstaff.agents.reply import reply_text
from brightstaff.agents.selection import AgentSelector, chat_turns
from brightstaff.filters.errors import CallError, client_error_body, filter_chain_error_body
from brightstaff.filters.mcp import read_jsonrpc_reply, tool_result
from brightstaff.filters.observe import CallerMetrics, CallObserver
from brightstaff.seams import LlmRequest, StepError
from plano_common.config.loader import load_config_text
from plano_common.config.types import Listener, ListenerAgent


def test_jsonrpc_reply_from_json_and_sse() -> None:
    message = {"jsonrpc": "2.0", "id": 7, "result": {"content": []}}
    assert read_jsonrpc_reply(json.dumps(message).encode(), "application/json", 7) == message
    sse = (
        b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\r\n\r\n'
        b"event: message\ndata: " + json.dumps(message).encode() + b"\n\n"
    )
    assert read_jsonrpc_reply(sse, "text/event-stream", 7) == message
    assert read_jsonrpc_reply(sse, "text/event-stream", 8) is None
    assert read_jsonrpc_reply(b'{"jsonrpc": "2.0", "id": ', "application/json", 7) is None


def test_tool_result_shapes() -> None:
    wrapped = {"result": {"structuredContent": {"result": {"a": 1}}, "content": []}}
    assert tool_result("f", wrapped) == {"a": 1}
    as_text = {"result": {"content": [{"type": "text", "text": '{"b": 2}'}]}}
    assert tool_result("f", as_text) == {"b": 2}
    raw = {"result": {"content": [{"type": "text", "text": "data: x\n\n"}]}}
    assert tool_result("f", raw) == "data: x\n\n"
    with pytest.raises(CallError) as blocked:
        tool_result("f", {"result": {"isError": True, "content": [{"text": "no"}]}})
    assert (blocked.value.status, blocked.value.detail) == (400, "no")
    with pytest.raises(CallError) as empty:
        tool_result("f", {"result": {}})
    assert empty.value.status == 502


def test_reply_text_of_streams_and_bodies() -> None:
    chunks = [{"choices": [{"delta": {"content": part}}]} for part in ("a", "b")]
    stream = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    assert reply_text(stream + b"data: [DONE]\n\n", "text/event-stream") == "ab"
    body = {"choices": [{"message": {"role": "assistant", "content": "whole"}}]}
    assert reply_text(json.dumps(body).encode(), "application/json") == "whole"


def test_error_bodies_have_the_original_shapes() -> None:
    failure = CallError("guard", "blocked", 403, "nope")
    assert json.loads(filter_chain_error_body(failure)) == {
        "error": "FilterChainError",
        "agent": "guard",
        "status": 403,
        "agent_response": "nope",
    }
    assert json.loads(client_error_body(failure))["error"] == "ClientError"


class _Completer:
    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    async def __call__(
        self, body: dict[str, Any], *, request: LlmRequest | None, timeout_seconds: float
    ) -> dict[str, Any]:
        self.bodies.append(body)
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"choices": [{"message": {"content": self.answer}}]}


LISTENER = Listener(
    name="l",
    type="agent",
    address="127.0.0.1",
    port=1,
    timeout_seconds=10,
    agents=(
        ListenerAgent(id="a", description="apples"),
        ListenerAgent(id="b", description="bananas", default=True),
        ListenerAgent(id="c", description="cherries"),
    ),
)


@pytest.mark.parametrize(
    ("answer", "chosen", "how"),
    [
        ('{"route": ["c", "a", "c", "zzz"]}', ["c", "a"], "orchestrator"),
        ('{"route": []}', ["b"], "default"),
        ("not json", ["b"], "default"),
        (StepError(502, "down"), ["b"], "default"),
    ],
)
async def test_selection(answer: str | Exception, chosen: list[str], how: str) -> None:
    completer = _Completer(answer)
    observer = CallObserver(CallerMetrics(CollectorRegistry()), None)
    selector = AgentSelector(
        completer, observer, model="Plano-Orchestrator", context_length=8192, timeout_seconds=1
    )
    selection = await selector.select(LISTENER, [{"role": "user", "content": "cherries"}])
    assert [a.id for a in selection.agents] == chosen and selection.how == how
    assert completer.bodies[0]["model"] == "Plano-Orchestrator"


def test_chat_turns_read_text_parts() -> None:
    turns = chat_turns([{"role": "user", "content": [{"type": "text", "text": "hi"}]}, "junk"])
    assert [(t.role, t.text) for t in turns] == [("user", "hi")]


def test_filter_chain_spelling_and_timeouts_reach_the_agents() -> None:
    text = """version: v0.4.0
listeners:
  - type: agent
    name: l
    port: 8001
    agents: [{id: a, description: x, filter_chain: [f]}]
agents: [{id: a, url: "http://127.0.0.1:1", timeout: 2s}]
filters: [{id: f, url: "http://127.0.0.1:2", type: http, timeout: 250ms}]
model_providers: [{model: openai/gpt-4o, access_key: k}]
"""
    config = load_config_text(text, environ={})
    assert config.listeners[0].agents[0].input_filters == ("f",)
    assert config.agents[0].timeout_seconds == 2.0
    assert config.filters[0].timeout_seconds == 0.25
