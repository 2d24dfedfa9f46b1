"""Span trees from OTLP trace batches: collect spans by trace, render a finished trace."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from rich.markup import escape
from rich.tree import Tree

__all__ = ["SpanRecord", "TraceBuffer", "render_trace", "spans_of"]

MAX_ATTRIBUTES = 6
MAX_VALUE_CHARS = 80
MAX_OPEN_TRACES = 1000
SHOWN_KEYS = ("http.", "llm.", "gen_ai.", "model", "routing", "plano.")


@dataclass(frozen=True)
class SpanRecord:
    """The parts of a span the tree shows."""

    trace_id: str
    span_id: str
    parent_id: str
    service: str
    name: str
    start_ns: int
    end_ns: int
    attributes: tuple[tuple[str, str], ...] = ()
    error: bool = False

    @property
    def millis(self) -> float:
        """Duration in milliseconds."""
        return max(0, self.end_ns - self.start_ns) / 1e6


def _text(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    return str(getattr(value, kind))[:MAX_VALUE_CHARS] if kind else ""


def spans_of(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """Every span of an export request, with its service name."""
    found: list[SpanRecord] = []
    for resource_spans in request.resource_spans:
        service = next(
            (_text(a.value) for a in resource_spans.resource.attributes if a.key == "service.name"),
            "?",
        )
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                attributes = tuple(
                    (a.key, _text(a.value)) for a in span.attributes if a.key.startswith(SHOWN_KEYS)
                )[:MAX_ATTRIBUTES]
                found.append(
                    SpanRecord(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        service=service,
                        name=span.name,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        attributes=attributes,
                        error=span.status.code == 2,
                    )
                )
    return found


@dataclass
class TraceBuffer:
    """Spans by trace; a trace is done when no span arrived for `quiet` seconds."""

    quiet: float = 1.5
    _traces: dict[str, list[SpanRecord]] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, spans: Iterable[SpanRecord]) -> None:
        """Buffer spans (the oldest trace is dropped beyond a bound)."""
        now = time.monotonic()
        with self._lock:
            for span in spans:
                if span.trace_id not in self._traces and len(self._traces) >= MAX_OPEN_TRACES:
                    oldest = min(self._last, key=self._last.__getitem__)
                    self._traces.pop(oldest, None)
                    self._last.pop(oldest, None)
                self._traces.setdefault(span.trace_id, []).append(span)
                self._last[span.trace_id] = now

    def done(self, now: float | None = None) -> list[list[SpanRecord]]:
        """Remove and return the traces that have been quiet long enough."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            ready = [tid for tid, last in self._last.items() if moment - last >= self.quiet]
            for tid in ready:
                self._last.pop(tid)
            return [self._traces.pop(tid) for tid in ready]


def render_trace(spans: list[SpanRecord]) -> Tree:
    """A rich tree: roots (spans whose parent is not in the trace) first, children by start."""
    ids = {span.span_id for span in spans}
    children: dict[str, list[SpanRecord]] = {}
    for span in sorted(spans, key=lambda s: s.start_ns):
        parent = span.parent_id if span.parent_id in ids else ""
        children.setdefault(parent, []).append(span)
    total = max(spans, key=lambda s: s.millis)
    tree = Tree(f"[bold]trace {spans[0].trace_id}[/] ({len(spans)} spans, {total.millis:.1f} ms)")
    stack: list[tuple[Tree, SpanRecord]] = [(tree, span) for span in children.get("", [])]
    while stack:
        node, span = stack.pop(0)
        mark = "[red]✗[/] " if span.error else ""
        details = " ".join(f"{key}={escape(value)}" for key, value in span.attributes)
        label = f"{mark}[cyan]{escape(span.service)}[/] {escape(span.name)} {span.millis:.1f} ms"
        branch = node.add(f"{label} [dim]{details}[/]" if details else label)
        stack.extend((branch, child) for child in children.get(span.span_id, []))
    return tree
