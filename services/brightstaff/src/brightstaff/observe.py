"""Per-request observability of the LLM path: metrics, the access-log line and the span."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from brightstaff.metrics import HANDLER_LLM, BrightstaffMetrics
from hermesllm.usage import Usage
from plano_common.access_log import AccessLogWriter
from plano_common.clip import clip
from plano_common.logs import mask_text
from plano_common.metrics import status_class
from plano_common.tracing import LLM, Tracing, extract_context, inject_headers

__all__ = ["LlmRecord", "Observer"]

_TRACE_HEADERS = ("traceparent", "tracestate")
PREVIEW_CHARS = 50


@dataclass(slots=True)
class LlmRecord:
    """Facts about one LLM-path request, filled in as it is served."""

    request_id: str
    listener: str
    path: str
    started: float
    requested_model: str = ""
    model: str = ""
    provider: str = "none"
    label_provider: str = "none"
    label_model: str = "none"
    stream: bool = False
    status: int = 0
    egress_status: int = 0
    """The egress's answer status (0 when it never answered)."""
    error: str = ""
    error_class: str = "none"
    route: str | None = None
    session_id: str | None = None
    routing_seconds: float | None = None
    upstream_started: float = 0.0
    upstream_ended: float = 0.0
    first_token_at: float = 0.0
    ended: float = 0.0
    response_bytes: int = 0
    usage: Usage | None = None
    response_started: bool = False
    disconnected: bool = False
    span: Span | None = None

    @property
    def duration(self) -> float:
        """Seconds from arrival to the last byte out."""
        return self.ended - self.started


class AccessLine(msgspec.Struct, omit_defaults=True):
    """One access-log line of the LLM path."""

    ts: float
    request_id: str
    listener: str
    path: str
    status: int
    duration_ms: float
    provider: str
    model: str
    requested_model: str = ""
    stream: bool = False
    route: str | None = None
    upstream_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str = ""


_encode = msgspec.json.Encoder().encode


class Observer:
    """Records what happened to each LLM-path request."""

    def __init__(
        self, metrics: BrightstaffMetrics, tracing: Tracing | None, access_log: AccessLogWriter
    ) -> None:
        self.metrics = metrics
        self.tracing = tracing
        self.access_log = access_log
        self.tracer = tracing.tracer(LLM) if tracing is not None else None
        self._in_flight = metrics.in_flight.labels(HANDLER_LLM)

    def request_started(self) -> None:
        """A request arrived."""
        self._in_flight.inc()

    def start_span(self, record: LlmRecord, headers: Mapping[str, str]) -> None:
        """Open the request's span when tracing is on."""
        if self.tracer is None:
            return
        elapsed_ns = int((time.perf_counter() - record.started) * 1e9)
        record.span = self.tracer.start_span(
            f"POST {record.path}",
            context=extract_context(headers),
            kind=SpanKind.SERVER,
            start_time=time.time_ns() - elapsed_ns,
        )
        if self.tracing is not None:
            custom = self.tracing.custom_attributes(headers)
            if custom:
                record.span.set_attributes(custom)

    def propagate(
        self, record: LlmRecord, client_headers: Mapping[str, str], egress_headers: dict[str, str]
    ) -> None:
        """Trace context for the egress: the request's span, else the client's own headers."""
        if record.span is None:
            for name in _TRACE_HEADERS:
                value = client_headers.get(name)
                if value:
                    egress_headers[name] = value
            return
        inject_headers(egress_headers, trace.set_span_in_context(record.span))

    def request_finished(self, record: LlmRecord) -> None:
        """Update metrics, write the access-log line and end the span."""
        metrics = self.metrics
        self._in_flight.dec()
        metrics.observe_http(HANDLER_LLM, "POST", record.status, record.duration)
        if record.upstream_started:
            self._observe_upstream(record)
        if self.access_log.enabled:
            self.access_log.write(_encode(_access_line(record)))
        if record.span is not None:
            _finish_span(record.span, record)

    def _observe_upstream(self, record: LlmRecord) -> None:
        metrics = self.metrics
        child = metrics.child
        provider, model = record.label_provider, record.label_model
        status = status_class(record.egress_status) if record.egress_status else "error"
        child(metrics.llm_requests, provider, model, status, record.error_class).inc()
        ended = record.upstream_ended or record.ended
        child(metrics.llm_duration, provider, model).observe(ended - record.upstream_started)
        if record.first_token_at:
            ttft = record.first_token_at - record.started
            child(metrics.llm_ttft, provider, model).observe(ttft)
        usage = record.usage
        if usage is not None:
            for kind, count in (
                ("prompt", usage.input_tokens),
                ("completion", usage.output_tokens),
                ("cache_read", usage.cached_input_tokens),
                ("cache_write", usage.cache_creation_tokens),
            ):
                if count:
                    child(metrics.llm_tokens, provider, model, kind).inc(count)
        elif 200 <= record.egress_status < 300:
            child(metrics.llm_usage_missing, provider, model).inc()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _access_line(record: LlmRecord) -> AccessLine:
    usage = record.usage
    upstream = (record.upstream_ended or record.ended) - record.upstream_started
    return AccessLine(
        ts=round(time.time(), 3),
        request_id=record.request_id,
        listener=record.listener,
        path=record.path,
        status=record.status,
        duration_ms=_ms(record.duration),
        provider=clip(record.provider),
        model=clip(mask_text(record.model)) if record.model else "",
        requested_model=clip(mask_text(record.requested_model)) if record.requested_model else "",
        stream=record.stream,
        route=record.route,
        upstream_ms=_ms(upstream) if record.upstream_started else 0.0,
        ttft_ms=_ms(record.first_token_at - record.started) if record.first_token_at else None,
        input_tokens=usage.input_tokens if usage is not None else None,
        output_tokens=usage.output_tokens if usage is not None else None,
        error=clip(mask_text(record.error)) if record.error else "",
    )


def _finish_span(span: Span, record: LlmRecord) -> None:
    if record.requested_model and record.requested_model != record.model:
        span.update_name(f"POST {record.path} {record.requested_model} -> {record.model}")
    elif record.model:
        span.update_name(f"POST {record.path} {record.model}")
    attributes: dict[str, str | int | float | bool] = {
        "http.status_code": record.status,
        "llm.model": record.model,
        "llm.provider": record.provider,
        "llm.is_streaming": record.stream,
        "llm.duration_ms": _ms(record.duration),
        "llm.response_bytes": record.response_bytes,
        "plano.request_id": record.request_id,
    }
    if record.first_token_at:
        attributes["llm.time_to_first_token"] = _ms(record.first_token_at - record.started)
    if record.route:
        attributes["plano.route.name"] = record.route
        attributes["route.selected_model"] = record.model
    if record.session_id:
        attributes["plano.session_id"] = record.session_id
    if record.routing_seconds is not None:
        attributes["routing.determination_ms"] = _ms(record.routing_seconds)
    usage = record.usage
    if usage is not None:
        attributes["llm.usage.prompt_tokens"] = usage.input_tokens
        attributes["llm.usage.completion_tokens"] = usage.output_tokens
        attributes["llm.usage.total_tokens"] = usage.total_tokens
        attributes["llm.usage.cached_input_tokens"] = usage.cached_input_tokens
        attributes["llm.usage.cache_creation_tokens"] = usage.cache_creation_tokens
        attributes["llm.usage.reasoning_tokens"] = usage.reasoning_tokens
    span.set_attributes(attributes)
    if record.status >= 500 or record.error:
        span.set_status(Status(StatusCode.ERROR, clip(mask_text(record.error)) or None))
    elapsed_ns = int((time.perf_counter() - record.ended) * 1e9)
    span.end(end_time=time.time_ns() - elapsed_ns)
