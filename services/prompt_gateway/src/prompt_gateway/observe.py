"""Per-request observability: the server span, callout spans, metrics and the access-log line."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import msgspec
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from plano_common.access_log import AccessLogWriter
from plano_common.clip import CLIENT_TEXT_LIMIT, clip
from plano_common.logs import mask_text
from plano_common.tracing import Tracing, inject_headers
from prompt_gateway.metrics import PromptMetrics

__all__ = ["AccessLine", "Callout", "Observer", "Trail"]


@dataclass(slots=True)
class Trail:
    """What happened to one request (filled in as the flow goes)."""

    request_id: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    outcome: str = "error"
    status: int = 0
    stream: bool = False
    model: str = ""
    target: str = ""
    guard: str = ""
    error: str = ""


class AccessLine(msgspec.Struct, omit_defaults=True):
    """One access-log line."""

    ts: float
    request_id: str
    path: str
    status: int
    duration_ms: float
    outcome: str
    stream: bool = False
    model: str = ""
    target: str = ""
    guard: str = ""
    error: str = ""


@dataclass(slots=True)
class Callout:
    """A callout in progress: the headers to send (trace context included) and its status."""

    headers: dict[str, str]
    status: int = 0


_encode = msgspec.json.Encoder().encode


class Observer:
    """Records requests and callouts."""

    def __init__(self, metrics: PromptMetrics, tracing: Tracing, access_log: AccessLogWriter):
        self.metrics = metrics
        self.tracing = tracing
        self.tracer = tracing.tracer()
        self.access_log = access_log

    @contextlib.contextmanager
    def request(self, trail: Trail, headers: Mapping[str, str]) -> Iterator[Span]:
        """The server span of a request; metrics and the access line when it ends."""
        self.metrics.in_flight.inc()
        try:
            with self.tracing.server_span(f"POST {trail.path}", headers) as span:
                try:
                    yield span
                finally:
                    _finish_span(span, trail)
        finally:
            self.metrics.in_flight.dec()
            self.metrics.finished(trail.outcome, trail.status, time.perf_counter() - trail.started)
            if self.access_log.enabled:
                self.access_log.write(_encode(_line(trail)))

    @contextlib.contextmanager
    def callout(self, kind: str, base_headers: Mapping[str, str]) -> Iterator[Callout]:
        """A CLIENT span around one callout; `Callout.headers` carry its trace context."""
        started = time.perf_counter()
        with self.tracer.start_as_current_span(f"callout {kind}", kind=SpanKind.CLIENT) as span:
            call = Callout(dict(base_headers))
            inject_headers(call.headers)
            try:
                yield call
            finally:
                span.set_attribute("http.response.status_code", call.status)
                self.metrics.callout(kind, call.status, time.perf_counter() - started)


def _finish_span(span: Span, trail: Trail) -> None:
    span.set_attributes(
        {
            "http.response.status_code": trail.status,
            "plano.request_id": clip(trail.request_id, 128),
            "plano.prompt.outcome": trail.outcome,
            "plano.prompt.target": trail.target,
            "llm.is_streaming": trail.stream,
        }
    )
    if trail.status >= 500:
        span.set_status(Status(StatusCode.ERROR, mask_text(clip(trail.error, 512)) or None))


def _line(trail: Trail) -> AccessLine:
    return AccessLine(
        ts=round(time.time(), 3),
        request_id=mask_text(clip(trail.request_id)),
        path=trail.path,
        status=trail.status,
        duration_ms=round((time.perf_counter() - trail.started) * 1000, 3),
        outcome=trail.outcome,
        stream=trail.stream,
        model=mask_text(clip(trail.model)),
        target=trail.target,
        guard=trail.guard,
        error=mask_text(clip(trail.error, 4 * CLIENT_TEXT_LIMIT)) if trail.error else "",
    )
