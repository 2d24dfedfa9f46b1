"""A signal report as telemetry: span attributes and ``signal.*`` events, Prometheus counters."""

from __future__ import annotations

import json

from opentelemetry.trace import Span
from prometheus_client import CollectorRegistry, Counter

from brightstaff.signals.analyzer import is_concerning
from brightstaff.signals.schemas import CATEGORIES, InteractionQuality, SignalReport, SignalType

__all__ = ["FLAG_MARKER", "SignalMetrics", "record_on_span", "span_attributes"]

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


def record_on_span(span: Span, report: SignalReport) -> bool:
    """Set the attributes and add one event per signal; True when the trace is flagged."""
    span.set_attributes(span_attributes(report))
    for signal in report.signals()[:EVENT_LIMIT]:
        attributes: dict[str, str | int | float] = {
            "signal.type": signal.signal_type.value,
            "signal.message_index": signal.message_index,
            "signal.confidence": float(signal.confidence),
        }
        if signal.snippet:
            attributes["signal.snippet"] = signal.snippet[:SNIPPET_LIMIT]
        attributes["signal.metadata"] = json.dumps(signal.metadata, ensure_ascii=False)[:1024]
        span.add_event(f"signal.{signal.signal_type.value}", attributes)
    return is_concerning(report)


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
        for signal_type in SignalType:
            self.signals.labels(signal_type.value)
        for quality in InteractionQuality:
            self.conversations.labels(quality.value)

    def record(self, report: SignalReport) -> None:
        """Count one analyzed conversation."""
        self.conversations.labels(report.overall_quality.value).inc()
        for name, count in report.counts_by_type().items():
            self.signals.labels(name).inc(count)
