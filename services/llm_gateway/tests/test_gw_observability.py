"""Request ids, trace context, spans, the access log, metrics and the GET endpoints."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from dataclasses import dataclass
from http.client import HTTPConnection
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llm_gateway.access_log import AccessLog
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


PROVIDERS = {"openai/gpt-4o-mini": "sk-openai", "anthropic/*": "sk-anthropic"}


@pytest.fixture(scope="module")
def config(fake_upstream: FakeUpstream, gateway_config: Any) -> str:
    return gateway_config(fake_upstream.url, PROVIDERS, default="openai/gpt-4o-mini")


@pytest.fixture(scope="module")
def gateway(start_gateway: Any, config: str) -> Any:
    return start_gateway(config)


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Http:
    """A minimal HTTP client (stdlib) for endpoints the SDKs do not cover."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self, method: str, path: str, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            body = None if json_body is None else json.dumps(json_body)
            all_headers = {"content-type": "application/json", **(headers or {})}
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            text = response.read().decode()
            found = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, found, text)
        finally:
            connection.close()

    def post(self, path: str, json: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, json, headers)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)


@pytest.fixture(scope="module")
def web(gateway: Any) -> Http:
    return Http(gateway.port)


BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def test_gw_request_id_generated_returned_and_forwarded(
    web: Http, fake_upstream: FakeUpstream
) -> None:
    response = web.post("/v1/chat/completions", json=BODY)
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert fake_upstream.last_request.headers["x-request-id"] == generated
    response = web.post("/v1/chat/completions", json=BODY, headers={"x-request-id": "mine-1"})
    assert response.headers["x-request-id"] == "mine-1"
    failed = web.post("/v1/chat/completions", json={"model": "nope", "messages": []})
    assert failed.status_code == 404
    assert failed.headers["x-request-id"]


def test_gw_traceparent_passes_through_without_tracing(
    web: Http, fake_upstream: FakeUpstream
) -> None:
    web.post("/v1/chat/completions", json=BODY, headers={"traceparent": TRACEPARENT})
    assert fake_upstream.last_request.headers["traceparent"] == TRACEPARENT


def test_gw_span_per_request_with_llm_attributes(
    fake_upstream: FakeUpstream, start_gateway: Any, config: str
) -> None:
    exporter = InMemorySpanExporter()
    traced = start_gateway(
        config + "tracing:\n  random_sampling: 100\n", span_processor=SimpleSpanProcessor(exporter)
    )
    response = Http(traced.port).post(
        "/v1/chat/completions", json=BODY, headers={"traceparent": TRACEPARENT}
    )
    assert response.status_code == 200
    upstream_parent = fake_upstream.last_request.headers["traceparent"]
    spans: Any = ()
    for _ in range(200):
        spans = exporter.get_finished_spans()
        if spans:
            break
        time.sleep(0.01)
    (span,) = spans
    context = span.get_span_context()
    assert f"{context.trace_id:032x}" == TRACEPARENT.split("-")[1]
    assert upstream_parent.split("-")[1] == TRACEPARENT.split("-")[1]
    assert upstream_parent.split("-")[2] == f"{context.span_id:016x}"
    attributes = dict(span.attributes or {})
    assert attributes["llm.provider"] == "openai/gpt-4o-mini"
    assert attributes["llm.model"] == "gpt-4o-mini"
    assert attributes["llm.is_streaming"] is False
    assert attributes["http.response.status_code"] == 200
    assert attributes["llm.usage.output_tokens"] > 0


def test_gw_access_log_line(start_gateway: Any, config: str) -> None:
    sink = io.StringIO()
    logged = start_gateway(config, access_log=AccessLog(sink))
    web = Http(logged.port)
    web.post(
        "/v1/chat/completions",
        json=BODY,
        headers={"x-request-id": "log-me", "authorization": "Bearer sk-secret-client"},
    )
    web.post(
        "/v1/chat/completions",
        json={"model": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "messages": []},
        headers={"x-request-id": "leaky"},
    )
    logged.call(_flush(logged))
    entries = [json.loads(line) for line in sink.getvalue().splitlines()]
    (entry,) = [e for e in entries if e["request_id"] == "log-me"]
    assert entry["status"] == 200
    assert entry["provider"] == "openai/gpt-4o-mini"
    assert entry["model"] == "gpt-4o-mini"
    assert entry["attempts"] == 1
    assert entry["duration_ms"] >= entry["upstream_ms"] > 0
    assert entry["output_tokens"] > 0
    assert entry["ts"] > 0
    (failed,) = [e for e in entries if e["request_id"] == "leaky"]
    assert failed["status"] == 404
    assert "abcdefghijklmnopqrstuvwxyz" not in sink.getvalue()
    assert "sk-secret-client" not in sink.getvalue()


async def _flush(gateway: Any) -> None:
    for _ in range(100):
        if gateway.metric("llm_gateway_in_flight_requests") == 0:
            break
        await asyncio.sleep(0.01)
    gateway.app.access_log.flush()


def test_gw_metrics_after_plain_and_streamed_requests(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    with gateway.openai_sdk() as sdk:
        fake_upstream.enqueue(Reply(text="a b c d e f"))
        for _ in sdk.chat.completions.create(
            model="anthropic/claude-3-5-haiku-latest",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        ):
            pass
    labels = {"provider": "anthropic/claude-3-5-haiku-latest", "model": "claude-3-5-haiku-latest"}
    count = gateway.wait_metric("llm_gateway_time_to_first_token_seconds_count", labels, 1)
    assert count == 1
    assert gateway.metric("llm_gateway_output_tokens_total", labels) > 0
    assert gateway.metric("llm_gateway_input_tokens_total", labels) > 0
    assert gateway.metric("llm_gateway_overhead_seconds_count", labels) == 1
    assert gateway.metric("llm_gateway_in_flight_requests") == 0
    openai_labels = {"provider": "openai/gpt-4o-mini", "model": "gpt-4o-mini"}
    before = gateway.metric("llm_gateway_output_tokens_total", openai_labels)
    with gateway.openai_sdk() as sdk:
        fake_upstream.enqueue(Reply(text="counted without any usage chunk at all"))
        for _ in sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        ):
            pass
    deadline = time.monotonic() + 3
    while gateway.metric("llm_gateway_output_tokens_total", openai_labels) == before:
        assert time.monotonic() < deadline, "no output tokens estimated for a stream"
        time.sleep(0.01)
    text = Http(gateway.port).get("/metrics").text
    assert "llm_gateway_requests_total{" in text
    assert 'status="200"' in text
    assert "llm_gateway_upstream_open_connections" in text
    assert "process_resident_memory_bytes" in text


def test_gw_get_endpoints(web: Http) -> None:
    assert web.get("/healthz").text == "ok"
    models = web.get("/v1/models").json()
    assert models["object"] == "list"
    ids = {m["id"] for m in models["data"]}
    assert "openai/gpt-4o-mini" in ids
    assert any(i.startswith("anthropic/claude") for i in ids)
    missing = web.get("/v2/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found_error"
    wrong = web.get("/v1/chat/completions")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"


def test_gw_output_tokens_counted_when_a_json_response_has_no_usage(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    labels = {"provider": "openai/gpt-4o-mini", "model": "gpt-4o-mini"}
    before = gateway.metric("llm_gateway_output_tokens_total", labels)
    body = (
        b'{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini",'
        b'"choices":[{"index":0,"message":{"role":"assistant","content":"How many tokens does'
        b' this sentence have?"},"finish_reason":"stop"}]}'
    )
    fake_upstream.enqueue(Reply(body=body))
    with gateway.openai_sdk() as sdk:
        sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
    expected = before + 8  # the pinned o200k count of that sentence
    assert gateway.wait_metric("llm_gateway_output_tokens_total", labels, expected) == expected
