"""A signal report as telemetry: span attributes and ``signal.*`` events, Prometheus counters."""

from __future__ import annotations

import json
from typing import NamedTuple

from opentelemetry.trace import Span
from prometheus_client import CollectorRegistry, Counter

from brightstaff.signals.analyzer import is_concerning
from brightstaff.signals.schemas import CATEGORIES, InteractionQuality, SignalReport, SignalType

__all__ = [
    "FLAG_MARKER",
    "SignalMetrics",
    "SignalTelemetry",
    "record_on_span",
    "span_attributes",
    "telemetry_of",
]

FLAG_MARKER = "\U0001f6a9"
"""Appended (after a space) to the span name of a flagged conversation."""
SNIPPET_LIMIT = 200
EVENT_LIMIT = 64
"""At most this many ``signal.*`` events per span (a long conversation may match often)."""


def span_attributes(report: SignalReport) -> dict[str, str | int | float]:
    """``signals.quality``, ``signals.quality_score``, ``signals.turn_count``,
    ``signals.efficiency_score`` and ``signals.<layer>.<category>.count|severity`` (categories
    with signals only)."""
    attributes: dict[str, str | int | float] = {
        "signals.quality": report.overall_quality.value,
        "signals.quality_score": float(report.quality_score),
        "signals.turn_count": report.turn_metrics.total_turns,
        "signals.efficiency_score": float(report.turn_metrics.efficiency_score),
    }
    for layer, category in CATEGORIES:
        group = report.group(layer, category)
        if group.count:
            attributes[f"signals.{layer}.{category}.count"] = group.count
            attributes[f"signals.{layer}.{category}.severity"] = group.severity
    return attributes


Attributes = dict[str, str | int | float]


class SignalTelemetry(NamedTuple):
    """What is recorded of one report, in plain values (cheap to send between processes)."""

    quality: str
    counts: dict[str, int]
    """How many signals of each type (types with none left out)."""
    attributes: Attributes
    """The span attributes (`span_attributes`)."""
    events: list[tuple[str, Attributes]]
    """The ``signal.*`` span events (name, attributes); empty when not asked for."""
    flagged: bool


def _events(report: SignalReport) -> list[tuple[str, Attributes]]:
    events: list[tuple[str, Attributes]] = []
    for signal in report.signals()[:EVENT_LIMIT]:
        attributes: Attributes = {
            "signal.type": signal.signal_type.value,
            "signal.message_index": signal.message_index,
            "signal.confidence": float(signal.confidence),
        }
        if signal.snippet:
            attributes["signal.snippet"] = signal.snippet[:SNIPPET_LIMIT]
        attributes["signal.metadata"] = json.dumps(signal.metadata, ensure_ascii=False)[:1024]
        events.append((f"signal.{signal.signal_type.value}", attributes))
    return events


def telemetry_of(report: SignalReport, with_events: bool = True) -> SignalTelemetry:
    """The counters, span attributes, span events (unless `with_events` is false) and flag
    of a report."""
    return SignalTelemetry(
        report.overall_quality.value,
        report.counts_by_type(),
        span_attributes(report),
        _events(report) if with_events else [],
        is_concerning(report),
    )


def record_on_span(span: Span, telemetry: SignalTelemetry) -> bool:
    """Set the attributes and add one event per signal; True when the trace is flagged."""
    span.set_attributes(telemetry.attributes)
    for name, attributes in telemetry.events:
        span.add_event(name, attributes)
    return telemetry.flagged


class SignalMetrics:
    """``brightstaff_signals_*`` counters; every label comes from a fixed set."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.signals = Counter(
            "brightstaff_signals",
            "Signals detected in analyzed conversations, by signal type.",
            ("type",),
            registry=registry,
        )
        self.conversations = Counter(
            "brightstaff_signals_conversations",
            "Conversations analyzed, by quality bucket.",
            ("quality",),
            registry=registry,
        )
        self.dropped = Counter(
            "brightstaff_signals_dropped",
            "Conversations not analyzed because the signals queue was full.",
            registry=registry,
        )
        self.errors = Counter(
            "brightstaff_signals_errors",
            "Conversations whose analysis failed.",
            registry=registry,
        )
        self._by_type = {t.value: self.signals.labels(t.value) for t in SignalType}
        self._by_quality = {q.value: self.conversations.labels(q.value) for q in InteractionQuality}

    def record(self, telemetry: SignalTelemetry) -> None:
        """Count one analyzed conversation."""
        self._by_quality[telemetry.quality].inc()
        for name, count in telemetry.counts.items():
            self._by_type[name].inc(count)
