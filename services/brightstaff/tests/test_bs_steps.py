"""The LLM path calls the optional steps in order and honors what they decide (in process,
with the fake upstream standing in for the egress: it speaks the client APIs)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec
import pytest

from brightstaff.app import Brightstaff
from brightstaff.seams import (
    ChunkFilter,
    LlmRequest,
    PathSteps,
    ResponseSummary,
    RoutingDecision,
    StepError,
)
from brightstaff.steps import Plugin, combine
from plano_common.access_log import AccessLogWriter
from plano_common.config import load_config
from plano_testkit import FakeUpstream
from plano_testkit.reply import Reply

USER = [{"role": "user", "content": "hi"}]


def _config(tmp_path: Path, fake_url: str) -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(
        "version: v0.3.0\nlisteners:\n  - {type: model, name: m, port: 12000}\nmodel_providers:\n"
        f"  - model: openai/gpt-4o-mini\n    access_key: k\n    base_url: {fake_url}\n"
        f"  - model: openai/gpt-4o\n    access_key: k\n    base_url: {fake_url}\n"
    )
    return load_config(path)


class Calls:
    def __init__(self) -> None:
        self.order: list[str] = []
        self.events: list[bytes] = []
        self.summary: ResponseSummary | None = None


class Filters:
    def __init__(self, calls: Calls, block: bool = False) -> None:
        self.calls = calls
        self.block = block

    async def apply(self, request: LlmRequest) -> None:
        self.calls.order.append("input_filters")
        if self.block:
            raise StepError(403, "blocked", body=b'{"error":"FilterChainError","status":403}')
        request.body["messages"] = [{"role": "user", "content": "filtered"}]


class Turn:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def on_response_body(self, body: bytes) -> None:
        self.calls.order.append("state.body")

    def final_event_start(self, data: bytes) -> int:
        return 0  # every part is handed to on_stream_events

    async def on_stream_events(self, data: bytes) -> None:
        self.calls.events.append(data)

    def abandon(self) -> None:
        self.calls.order.append("state.abandon")


class State:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def prepare(self, request: LlmRequest) -> Turn:
        self.calls.order.append("state")
        return Turn(self.calls)


class Router:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def decide(self, request: LlmRequest) -> RoutingDecision:
        self.calls.order.append(f"router:{request.model}")
        return RoutingDecision(models=("openai/gpt-4o",), route="code")

    def record_latency(self, model: str, seconds: float) -> None:
        self.calls.order.append(f"latency:{model}")


class Upper(ChunkFilter):
    async def filter(self, chunk: bytes) -> bytes:
        return chunk.replace(b"filtered", b"FILTERED")


class Output:
    def for_request(self, request: LlmRequest) -> ChunkFilter | None:
        return Upper()


class After:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def submit(self, request: LlmRequest, response: ResponseSummary) -> None:
        self.calls.order.append("after")
        self.calls.summary = response


class Answer:
    def __init__(self, status: int, content: bytes) -> None:
        self.status_code = status
        self.content = content
        self.text = content.decode()

    def json(self) -> Any:
        return msgspec.json.decode(self.content)


async def call(app: Any, path: str, body: dict[str, Any]) -> Answer:
    """POST a JSON body to an ASGI app in process; the whole response."""
    data = msgspec.json.encode(body)
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-type", b"application/json")],
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": data, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(status, content)


def _service(tmp_path: Path, fake: FakeUpstream, steps: PathSteps) -> Brightstaff:
    env = {"LLM_PROVIDER_ENDPOINT": fake.url}
    service = Brightstaff(_config(tmp_path, fake.url), env, access_log=AccessLogWriter(None))
    service.steps = combine([Plugin(steps=steps)])
    return service


async def test_steps_run_in_order_and_the_router_picks_the_model(tmp_path: Path) -> None:
    calls = Calls()
    steps = PathSteps(
        input_filters=Filters(calls),
        state=State(calls),
        router=Router(calls),
        output_filters=Output(),
        after_response=After(calls),
    )
    async with FakeUpstream() as fake:
        service = _service(tmp_path, fake, steps)
        app = service.listener_app(service.model_listeners[0])
        body = {"model": "gpt-4o-mini", "messages": USER}
        fake.enqueue(Reply(text="one filtered two"))
        response = await call(app, "/v1/chat/completions", body)
        fake.enqueue(Reply(text="one filtered two", chunk_gap=0.001))
        streamed = await call(app, "/v1/chat/completions", {**body, "stream": True})
        await service.aclose()
    assert response.status_code == 200
    assert "FILTERED" in response.json()["choices"][0]["message"]["content"]
    assert calls.order[:6] == [
        "input_filters",
        "state",
        "router:gpt-4o-mini",
        "state.body",
        "latency:openai/gpt-4o",
        "after",
    ]
    assert fake.requests[0].json["model"] == "gpt-4o"
    assert fake.requests[0].json["messages"] == [{"role": "user", "content": "filtered"}]
    assert streamed.status_code == 200
    assert all(event.endswith(b"\n\n") for event in calls.events)
    assert calls.events[-1].endswith(b"data: [DONE]\n\n")
    assert (
        calls.summary is not None
        and calls.summary.stream
        and calls.summary.model == "openai/gpt-4o"
    )


async def test_a_blocking_filter_answers_with_its_own_body(tmp_path: Path) -> None:
    calls = Calls()
    async with FakeUpstream() as fake:
        service = _service(tmp_path, fake, PathSteps(input_filters=Filters(calls, block=True)))
        body = {"model": "gpt-4o-mini", "messages": USER}
        response = await call(service.internal_app(), "/v1/chat/completions", body)
        await service.aclose()
        assert not fake.requests
    assert response.status_code == 403
    assert msgspec.json.decode(response.content) == {"error": "FilterChainError", "status": 403}


async def test_an_egress_error_abandons_the_state_turn(tmp_path: Path) -> None:
    calls = Calls()
    async with FakeUpstream() as fake:
        fake.enqueue(Reply.error(500, "boom"))
        service = _service(tmp_path, fake, PathSteps(state=State(calls)))
        body = {"model": "gpt-4o", "input": "x"}
        response = await call(service.internal_app(), "/v1/responses", body)
        await service.aclose()
    assert response.status_code == 500
    assert "boom" in response.text
    assert calls.order == ["state", "state.abandon"]


def test_two_plugins_cannot_fill_one_step() -> None:
    calls = Calls()
    plugin = Plugin(steps=PathSteps(router=Router(calls)))
    with pytest.raises(ValueError, match="router"):
        combine([plugin, plugin])


async def test_span_names_the_model_change_and_carries_llm_attributes(tmp_path: Path) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    path = tmp_path / "traced.yaml"
    async with FakeUpstream() as fake:
        path.write_text(
            "version: v0.3.0\nlisteners:\n  - {type: model, name: m, port: 12000}\n"
            f"model_providers:\n  - model: openai/gpt-4o-mini\n    access_key: k\n"
            f"    base_url: {fake.url}\nmodel_aliases:\n  fast: {{target: gpt-4o-mini}}\n"
            "tracing:\n  random_sampling: 100\n"
        )
        service = Brightstaff(
            load_config(path),
            {"LLM_PROVIDER_ENDPOINT": fake.url},
            span_processor=SimpleSpanProcessor(exporter),
            access_log=AccessLogWriter(None),
        )
        body = {
            "model": "fast",
            "messages": [{"role": "user", "content": "what is the weather"}],
            "temperature": 0.2,
            "stream": True,
        }
        response = await call(service.internal_app(), "/v1/chat/completions", body)
        await service.aclose()
        traceparent = fake.requests[0].headers["traceparent"]
    assert response.status_code == 200
    span = next(s for s in exporter.get_finished_spans() if s.name.startswith("POST "))
    assert span.name == "POST /v1/chat/completions fast -> gpt-4o-mini"
    assert span.resource.attributes["service.name"] == "plano(llm)"
    attributes = dict(span.attributes or {})
    assert attributes["llm.model"] == "gpt-4o-mini"
    assert attributes["llm.provider"] == "openai/gpt-4o-mini"
    assert attributes["llm.is_streaming"] is True
    assert attributes["llm.temperature"] == 0.2
    assert attributes["llm.user_message_preview"] == "what is the weather"
    assert attributes["http.status_code"] == 200
    assert "llm.time_to_first_token" in attributes
    assert traceparent.split("-")[1] == format(span.context.trace_id, "032x")


async def test_chat_completer_for_orchestrator_calls() -> None:
    from brightstaff.egress import Egress, EgressChatCompleter
    from brightstaff.settings import BrightstaffSettings
    from plano_testkit import free_port

    body = {"model": "gpt-4o-mini", "messages": USER}
    async with FakeUpstream() as fake:
        egress = Egress(BrightstaffSettings(egress_url=fake.url))
        complete = EgressChatCompleter(egress)
        fake.enqueue(Reply(text='{"route": ["code"]}'), Reply.error(500, "orchestrator down"))
        answer = await complete(body, request=None, timeout_seconds=5)
        with pytest.raises(StepError) as failed:
            await complete(body, request=None, timeout_seconds=5)
        fake.enqueue(Reply(text="late", first_byte_delay=1.0))
        with pytest.raises(TimeoutError):
            await complete(body, request=None, timeout_seconds=0.1)
        await egress.close()
        assert fake.requests[0].json["stream"] is False
    assert answer["choices"][0]["message"]["content"] == '{"route": ["code"]}'
    assert failed.value.status == 500
    down = Egress(BrightstaffSettings(egress_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(StepError) as unreachable:
        await EgressChatCompleter(down)(body, request=None, timeout_seconds=5)
    await down.close()
    assert unreachable.value.status == 502
