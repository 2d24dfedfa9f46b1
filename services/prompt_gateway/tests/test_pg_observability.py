"""Spans, metrics and one access-log line per request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import ASGIApp, Message

from plano_common.config import load_config
from plano_testkit import Reply
from plano_testkit.function_calling import FcAnswer
from prompt_gateway.app import PromptGateway, build_app

ASK = [{"role": "user", "content": "weather in Seattle for 2 days"}]


async def _post(app: ASGIApp, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes]:
    sent: list[Message] = []
    raw = msgspec.json.encode(body)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_spans_cover_the_request_and_each_callout(fakes: Any, tmp_path: Path) -> None:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(
        f"""version: v0.3.0
listeners:
  - type: prompt
    name: prompts
    port: 10000
endpoints:
  weather:
    endpoint: 127.0.0.1:{fakes.api.port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-x
tracing:
  random_sampling: 100
prompt_targets:
  - name: get_current_weather
    description: weather
    parameters:
      - name: location
        description: where
        type: str
        required: true
    endpoint:
      name: weather
      path: /weather
"""
    )
    exporter = InMemorySpanExporter()
    environ = {
        "PLANO_FUNCTION_CALLING_URL": fakes.fc.endpoint,
        "LLM_PROVIDER_ENDPOINT": fakes.llm.url,
        "PLANO_ACCESS_LOG": "off",
    }
    gateway = PromptGateway(
        load_config(config_path), environ, span_processor=SimpleSpanProcessor(exporter)
    )
    app = build_app(gateway.config, gateway)
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle"}))
    fakes.llm.enqueue(Reply(text="ok"))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    try:
        status, body = await _post(
            app, {"model": "gpt-4o-mini", "messages": ASK}, {"traceparent": parent}
        )
    finally:
        await gateway.aclose()
    assert status == 200, body
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) >= {
        "POST /v1/chat/completions",
        "callout function_calling",
        "callout developer_api",
        "callout llm",
    }
    server = spans["POST /v1/chat/completions"]
    assert format(server.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert server.attributes is not None
    assert server.attributes["plano.prompt.outcome"] == "tool_call"
    assert server.attributes["plano.prompt.target"] == "get_current_weather"
    api_span = spans["callout developer_api"]
    assert api_span.parent is not None and api_span.parent.span_id == server.context.span_id
    # The developer API got the trace context of its callout span.
    traceparent = fakes.api.received[0].headers["traceparent"]
    assert traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert traceparent.split("-")[2] == format(api_span.context.span_id, "016x")


def test_one_access_line_and_metrics_per_request(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "x", "days": "1"}))
    fakes.api.respond("/weather", 200, {"ok": True})
    fakes.llm.enqueue(Reply(text="fine"))
    client = gateway.sdk().with_options(default_headers={"x-request-id": "req-observe-1"})
    client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    logs = gateway.wait_log('"request_id":"req-observe-1"')
    lines = [
        json.loads(line[line.index("{") :])
        for line in logs.splitlines()
        if '"request_id":"req-observe-1"' in line
    ]
    assert len(lines) == 1
    line = lines[0]
    assert line["status"] == 200 and line["outcome"] == "tool_call"
    assert line["target"] == "get_current_weather" and line["path"] == "/v1/chat/completions"
    text = gateway.wait_metrics('prompt_gateway_requests_total{outcome="tool_call",status="2xx"}')
    assert 'prompt_gateway_callouts_total{callout="developer_api",status="2xx"}' in text
    assert 'prompt_gateway_target_calls_total{status="2xx",target="get_current_weather"}' in text
    assert "prompt_gateway_request_duration_seconds_bucket" in text
