"""Metrics and spans of filter and agent calls.

Metric labels are configured filter and agent ids only (a bounded set); outcomes are the
constants of `FailureKind` plus ``ok``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from brightstaff.filters.errors import CallError
from plano_common.tracing import Tracing

__all__ = ["AGENT_COMPONENT", "FILTER_COMPONENT", "CallObserver", "CallRecord", "CallerMetrics"]

FILTER_COMPONENT: Final = "plano(filter)"
AGENT_COMPONENT: Final = "plano(agent)"
ORCHESTRATOR_COMPONENT: Final = "plano(orchestrator)"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class CallerMetrics:
    """``brightstaff_filter_*`` and ``brightstaff_agent_*`` metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.filter_calls = Counter(
            "brightstaff_filter_calls",
            "Filter calls by filter id, direction (input, output) and outcome.",
            ("filter", "direction", "outcome"),
            registry=registry,
        )
        self.filter_duration = Histogram(
            "brightstaff_filter_duration_seconds",
            "Duration of filter calls, by filter id.",
            ("filter",),
            buckets=BUCKETS,
            registry=registry,
        )
        self.output_passthrough = Counter(
            "brightstaff_output_filter_passthrough",
            "Reply chunks sent unfiltered because an output filter failed, by filter id.",
            ("filter",),
            registry=registry,
        )
        self.agent_calls = Counter(
            "brightstaff_agent_calls",
            "Agent calls by agent id and outcome.",
            ("agent", "outcome"),
            registry=registry,
        )
        self.agent_duration = Histogram(
            "brightstaff_agent_duration_seconds",
            "Duration of agent calls (to the end of the reply), by agent id.",
            ("agent",),
            buckets=BUCKETS,
            registry=registry,
        )
        self.connections_in_use = Gauge(
            "brightstaff_filter_agent_connections_in_use",
            "Connections to filters and agents lent to a call right now.",
            registry=registry,
        )
        self.mcp_sessions = Gauge(
            "brightstaff_mcp_sessions_open",
            "MCP filter sessions held (one per MCP filter in use).",
            registry=registry,
        )
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def watch(self, connections: Callable[[], int], sessions: Callable[[], int]) -> None:
        """Report the connection and session counts when scraped."""
        self.connections_in_use.set_function(connections)
        self.mcp_sessions.set_function(sessions)

    def child(self, metric: Any, *labels: str) -> Any:
        """The labeled child of `metric` (cached; label sets are bounded)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found


@dataclass(slots=True)
class CallRecord:
    """One call being observed; `outcome` is set by the caller or from the failure."""

    span: Span | None
    outcome: str = "ok"
    attributes: dict[str, Any] = field(default_factory=dict)


class CallObserver:
    """Opens one span per call (under the component's service name) and counts it."""

    def __init__(self, metrics: CallerMetrics, tracing: Tracing | None) -> None:
        self.metrics = metrics
        self._filter_tracer: Tracer | None = None
        self._agent_tracer: Tracer | None = None
        self.orchestrator_tracer: Tracer | None = None
        if tracing is not None:
            self._filter_tracer = tracing.tracer(FILTER_COMPONENT)
            self._agent_tracer = tracing.tracer(AGENT_COMPONENT)
            self.orchestrator_tracer = tracing.tracer(ORCHESTRATOR_COMPONENT)

    @contextmanager
    def filter_call(self, filter_id: str, kind: str, direction: str) -> Iterator[CallRecord]:
        """Observe one filter call."""
        m = self.metrics
        with _span(self._filter_tracer, f"filter {filter_id}") as span:
            if span is not None:
                span.set_attributes(
                    {"filter.id": filter_id, "filter.type": kind, "filter.direction": direction}
                )

            def done(outcome: str, seconds: float) -> None:
                m.child(m.filter_duration, filter_id).observe(seconds)
                m.child(m.filter_calls, filter_id, direction, outcome).inc()

            with _timed(span, done) as record:
                yield record

    @contextmanager
    def agent_call(self, agent_id: str, path: str) -> Iterator[CallRecord]:
        """Observe one agent call (to the end of its reply)."""
        m = self.metrics
        with _span(self._agent_tracer, f"{agent_id} {path}") as span:
            if span is not None:
                span.set_attribute("agent.id", agent_id)

            def done(outcome: str, seconds: float) -> None:
                m.child(m.agent_duration, agent_id).observe(seconds)
                m.child(m.agent_calls, agent_id, outcome).inc()

            with _timed(span, done) as record:
                yield record


@contextmanager
def _span(tracer: Tracer | None, name: str) -> Iterator[Span | None]:
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span(name, kind=trace.SpanKind.CLIENT) as span:
        yield span


@contextmanager
def _timed(span: Span | None, done: Callable[[str, float], None]) -> Iterator[CallRecord]:
    """A call's record; at its end `done(outcome, seconds)` (a failed call's outcome is its
    `CallError` kind, an interrupted one's ``cancelled``)."""
    record = CallRecord(span)
    started = time.perf_counter()
    try:
        yield record
    except CallError as exc:
        record.outcome = exc.kind
        _failed(span, exc)
        raise
    except BaseException:
        record.outcome = "cancelled"
        raise
    finally:
        done(record.outcome, time.perf_counter() - started)


def _failed(span: Span | None, exc: CallError) -> None:
    if span is None:
        return
    span.set_attribute("http.status_code", exc.status)
    span.set_status(Status(StatusCode.ERROR, exc.kind))
