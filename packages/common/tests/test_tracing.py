"""Tracing helpers: sampling, per-component service names, traceparent in and out, attributes."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import SpanKind

from plano_common import tracing
from plano_common.config.types import SpanAttributes as ConfigSpanAttributes
from plano_common.config.types import Tracing as ConfigTracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@dataclass
class Attrs:
    static: dict[str, str] = field(default_factory=dict)
    header_prefixes: list[str] = field(default_factory=list)


@dataclass
class Settings:
    random_sampling: int = 100
    opentracing_grpc_endpoint: str | None = None
    span_attributes: Attrs = field(default_factory=Attrs)


def _setup(
    settings: Settings | None, service: str = "plano"
) -> tuple[tracing.Tracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    handle = tracing.setup_tracing(
        service, settings, processor=SimpleSpanProcessor(exporter), set_global=False
    )
    return handle, exporter


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1
    return spans[0]


def test_server_span_continues_incoming_trace_and_injects_outgoing() -> None:
    handle, exporter = _setup(Settings())
    outgoing: dict[str, str] = {}
    with handle.server_span("POST /v1/chat/completions gpt-4o", {"Traceparent": TRACEPARENT}):
        tracing.inject_headers(outgoing)
        assert tracing.current_traceparent() == outgoing["traceparent"]
    span = _only(exporter)
    assert span.kind is SpanKind.SERVER
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_ID
    assert format(span.context.trace_id, "032x") == TRACE_ID
    version, trace_id, span_id, flags = outgoing["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id == format(span.context.span_id, "016x")
    assert span.resource.attributes["service.name"] == "plano"


def test_new_trace_without_traceparent() -> None:
    handle, exporter = _setup(Settings())
    with handle.server_span("GET /v1/models", {}) as span:
        assert tracing.trace_id_hex(span) is not None
    assert _only(exporter).parent is None


def test_extract_ignores_malformed_traceparent() -> None:
    handle, exporter = _setup(Settings())
    with handle.server_span("x", {"traceparent": "garbage"}):
        pass
    assert _only(exporter).parent is None


def test_component_service_names_share_one_trace() -> None:
    handle, exporter = _setup(Settings())
    with (
        handle.server_span("request", {}),
        handle.tracer(tracing.ROUTING).start_as_current_span("routing"),
        handle.tracer(tracing.LLM).start_as_current_span("llm"),
    ):
        pass
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["request"].resource.attributes["service.name"] == "plano"
    assert spans["routing"].resource.attributes["service.name"] == "plano(routing)"
    assert spans["llm"].resource.attributes["service.name"] == "plano(llm)"
    assert len({s.context.trace_id for s in spans.values()}) == 1
    assert spans["llm"].parent is not None
    assert spans["llm"].parent.span_id == spans["routing"].context.span_id


def test_custom_attributes_static_and_header_prefixes() -> None:
    settings = Settings(
        span_attributes=Attrs(
            static={"deployment.env": "prod"}, header_prefixes=["x-katanemo-", "x-tenant"]
        )
    )
    handle, exporter = _setup(settings)
    headers = {
        "X-Katanemo-Tenant-Id": " ten_456 ",
        "x-katanemo-admin-level": "3",
        "x-tenant-region": "eu",
        "x-katanemo-": "empty suffix",
        "x-other-id": "ignored",
    }
    with handle.server_span("req", headers, attributes={"llm.model": "gpt-4o"}):
        pass
    attributes = dict(_only(exporter).attributes or {})
    assert attributes == {
        "deployment.env": "prod",
        "tenant.id": "ten_456",
        "admin.level": "3",
        "region": "eu",
        "llm.model": "gpt-4o",
    }


def test_custom_attributes_without_settings() -> None:
    assert tracing.custom_span_attributes({"x-a-b": "1"}, None) == {}
    assert tracing.custom_span_attributes({"x-a-b": "1"}, Attrs()) == {}


def test_zero_sampling_records_nothing_but_propagates() -> None:
    handle, exporter = _setup(Settings(random_sampling=0))
    assert not handle.enabled
    outgoing: dict[str, str] = {}
    with handle.server_span("req", {"traceparent": TRACEPARENT}):
        tracing.inject_headers(outgoing)
    assert exporter.get_finished_spans() == ()
    assert outgoing["traceparent"].split("-")[1] == TRACE_ID


def test_no_config_disables_tracing() -> None:
    handle, exporter = _setup(None)
    with handle.server_span("req", {}):
        pass
    assert not handle.enabled
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(("percent", "rate"), [(1, 0.01), (50, 0.5), (100, 1.0), (250, 1.0)])
def test_sampler_ratio(percent: int, rate: float) -> None:
    sampler = tracing.sampler_for(percent)
    assert isinstance(sampler, ParentBased)
    assert sampler._root.rate == rate  # type: ignore[attr-defined]
    assert tracing.sampler_for(0) is ALWAYS_OFF


def test_ratio_sampling_keeps_a_fraction() -> None:
    handle, exporter = _setup(Settings(random_sampling=10))
    for _ in range(400):
        with handle.server_span("req", {}):
            pass
    assert 10 <= len(exporter.get_finished_spans()) <= 90


def test_caller_sampling_decision_is_followed() -> None:
    handle, exporter = _setup(Settings(random_sampling=1))
    for _ in range(20):
        with handle.server_span("req", {"traceparent": TRACEPARENT}):
            pass
    assert len(exporter.get_finished_spans()) == 20


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(self, request: Any, context: Any) -> Any:
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
def collector() -> Iterator[tuple[_Collector, int]]:
    servicer = _Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, port
    server.stop(None)


def test_otlp_grpc_export_to_a_local_collector(collector: tuple[_Collector, int]) -> None:
    servicer, port = collector
    handle = tracing.setup_tracing(
        "plano", Settings(opentracing_grpc_endpoint=f"http://127.0.0.1:{port}"), set_global=False
    )
    assert handle.enabled
    assert type(handle._processor).__name__ == "BatchSpanProcessor"
    with handle.server_span("request", {}), handle.tracer(tracing.LLM).start_as_current_span("llm"):
        pass
    assert handle.force_flush(10_000)
    handle.shutdown()
    exported: dict[str, list[str]] = {}
    for request in servicer.requests:
        for resource_spans in request.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                exported.setdefault(service, []).extend(s.name for s in scope_spans.spans)
    assert exported == {"plano": ["request"], "plano(llm)": ["llm"]}


def test_accepts_the_normalized_config_types() -> None:
    settings = ConfigTracing(
        random_sampling=100,
        span_attributes=ConfigSpanAttributes(header_prefixes=("x-t-",), static={"a": "b"}),
    )
    exporter = InMemorySpanExporter()
    handle = tracing.setup_tracing(
        "plano", settings, processor=SimpleSpanProcessor(exporter), set_global=False
    )
    with handle.server_span("req", {"x-t-user": "u"}):
        pass
    assert dict(_only(exporter).attributes or {}) == {"a": "b", "user": "u"}
