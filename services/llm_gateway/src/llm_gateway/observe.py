"""Per-request observability: metrics, the access-log line and the OpenTelemetry span."""

from __future__ import annotations

import time
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from llm_gateway.access_log import AccessLog
from llm_gateway.metrics import GatewayMetrics
from llm_gateway.record import RequestRecord
from plano_common.tracing import Tracing, extract_context, inject_headers

__all__ = ["Observer"]

_TRACE_HEADERS = ("traceparent", "tracestate")


class Observer:
    """Records what happened to each request."""

    def __init__(
        self, metrics: GatewayMetrics, tracing: Tracing | None, access_log: AccessLog
    ) -> None:
        self.metrics = metrics
        self.access_log = access_log
        self.tracing = tracing
        self.tracer = tracing.tracer() if tracing is not None else None

    def request_started(self) -> None:
        """A request arrived."""
        self.metrics.in_flight.inc()

    def propagate(
        self,
        client_headers: Mapping[str, str],
        upstream_headers: dict[str, str],
        record: RequestRecord,
    ) -> None:
        """Start the request's span (when tracing is on) and pass trace context upstream."""
        if self.tracer is None:
            for name in _TRACE_HEADERS:
                value = client_headers.get(name)
                if value:
                    upstream_headers[name] = value
            return
        elapsed_ns = int((time.perf_counter() - record.started) * 1e9)
        span = self.tracer.start_span(
            f"POST {record.path}",
            context=extract_context(client_headers),
            kind=SpanKind.SERVER,
            start_time=time.time_ns() - elapsed_ns,
        )
        if self.tracing is not None:
            custom = self.tracing.custom_attributes(client_headers)
            if custom:
                span.set_attributes(custom)
        record.span = span
        inject_headers(upstream_headers, trace.set_span_in_context(span))

    def request_finished(self, record: RequestRecord) -> None:
        """Update metrics, write the access log line and end the span."""
        metrics = self.metrics
        metrics.in_flight.dec()
        provider, model = metrics.bounded(record.provider, record.model)
        metrics.requests.labels(provider, model, str(record.status)).inc()
        if record.rate_limited:
            metrics.ratelimited.labels(model).inc()
        if record.attempts > 1:
            metrics.retries.labels(provider).inc(record.attempts - 1)
        if record.provider != "none":
            self._observe_model(record)
        self.access_log.write(record)
        span = record.span
        if span is not None:
            _finish_span(span, record)

    def _observe_model(self, record: RequestRecord) -> None:
        series = self.metrics.series(record.provider, record.model)
        duration = record.duration
        series.duration.observe(duration)
        upstream = record.upstream_time
        if upstream:
            series.upstream_latency.observe(upstream)
            series.overhead.observe(max(0.0, duration - upstream))
        if record.input_tokens:
            series.input_tokens.inc(record.input_tokens)
        output = record.output_tokens
        if output:
            series.output_tokens.inc(output)
            if upstream > 0:
                series.tokens_per_second.observe(output / upstream)
        if record.first_token_at:
            series.ttft.observe(record.first_token_at - record.started)
            if output and output > 1 and record.upstream_ended > record.first_token_at:
                per_token = (record.upstream_ended - record.first_token_at) / (output - 1)
                series.per_output_token.observe(per_token)


def _finish_span(span: trace.Span, record: RequestRecord) -> None:
    attributes: dict[str, str | int | float | bool] = {
        "http.request.method": "POST",
        "url.path": record.path,
        "http.response.status_code": record.status,
        "llm.request_id": record.request_id,
        "llm.provider": record.provider,
        "llm.model": record.model,
        "llm.requested_model": record.requested_model,
        "llm.api": record.client_api,
        "llm.is_streaming": record.streaming,
        "llm.upstream.attempts": record.attempts,
        "llm.upstream.duration_ms": round(record.upstream_time * 1000, 3),
    }
    if record.input_tokens is not None:
        attributes["llm.usage.input_tokens"] = record.input_tokens
    if record.output_tokens is not None:
        attributes["llm.usage.output_tokens"] = record.output_tokens
    if record.first_token_at:
        attributes["llm.time_to_first_token_ms"] = round(
            (record.first_token_at - record.started) * 1000, 3
        )
    span.set_attributes(attributes)
    if record.status >= 500 or record.error:
        span.set_status(Status(StatusCode.ERROR, record.error or None))
    elapsed_ns = int((time.perf_counter() - record.ended) * 1e9)
    span.end(end_time=time.time_ns() - elapsed_ns)
