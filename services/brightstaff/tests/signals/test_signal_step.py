"""The after-response step: off the request path, span attributes and events, counters, the
bounded queue, and ``overrides.disable_signals``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from brightstaff.seams import LlmRequest, ResponseSummary
from brightstaff.signals import analyze
from brightstaff.signals.emit import FLAG_MARKER, SignalMetrics, span_attributes
from brightstaff.signals.worker import SignalsStep
from hermesllm.apis import ClientApi

ESCALATION = {"messages": [{"role": "user", "content": "this is taking forever, get me a human"}]}
CLEAN = {"messages": [{"role": "user", "content": "Hello, can you help me with a question?"}]}


def _request(body: dict[str, Any]) -> LlmRequest:
    return LlmRequest(
        api=ClientApi.CHAT,
        path="/v1/chat/completions",
        body=body,
        headers={},
        request_id="req-1",
        requested_model="gpt-4o",
        model="gpt-4o",
        provider="openai/gpt-4o",
        stream=False,
        listener="llm",
    )


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


STEPS: list[SignalsStep] = []


@pytest.fixture(autouse=True)
def _stop_workers() -> Iterator[None]:
    yield
    while STEPS:
        asyncio.run(STEPS.pop().aclose())


def _step(queue_size: int = 16) -> tuple[SignalsStep, InMemorySpanExporter, CollectorRegistry, Any]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    registry = CollectorRegistry()
    tracer = provider.get_tracer("test")
    parent = tracer.start_span("POST /v1/chat/completions gpt-4o")
    parent.end()
    step = SignalsStep(SignalMetrics(registry), tracer, queue_size=queue_size)
    STEPS.append(step)
    return step, exporter, registry, parent.get_span_context()


def test_flagged_conversation_records_a_child_span() -> None:
    step, exporter, registry, parent = _step()
    step.submit(
        _request(ESCALATION), ResponseSummary(200, "gpt-4o", "openai", False, span_context=parent)
    )
    assert step.drain()
    span = next(s for s in exporter.get_finished_spans() if s.name.startswith("signals"))
    assert span.name == f"signals {FLAG_MARKER}"
    assert span.parent is not None and span.parent.span_id == parent.span_id
    assert span.context.trace_id == parent.trace_id
    attributes = dict(span.attributes or {})
    assert attributes["signals.quality"] == "severe" and attributes["signals.quality_score"] == 0.0
    assert attributes["signals.turn_count"] == 1 and attributes["signals.efficiency_score"] == 1.0
    assert attributes["signals.interaction.disengagement.count"] == 1
    assert attributes["signals.interaction.disengagement.severity"] == 1
    assert "signals.execution.failure.count" not in attributes
    [event] = span.events
    assert event.name == "signal.interaction.disengagement.escalation"
    event_attributes = dict(event.attributes or {})
    assert event_attributes["signal.type"] == "interaction.disengagement.escalation"
    assert event_attributes["signal.message_index"] == 0
    assert event_attributes["signal.snippet"] == "get me a human"
    assert json.loads(str(event_attributes["signal.metadata"])) == {"pattern_type": "escalation"}
    assert (
        _sample(registry, "brightstaff_signals_total", type="interaction.disengagement.escalation")
        == 1
    )
    assert _sample(registry, "brightstaff_signals_conversations_total", quality="severe") == 1


def test_clean_conversation_is_not_flagged_and_errors_are_skipped() -> None:
    step, exporter, registry, parent = _step()
    step.submit(
        _request(CLEAN), ResponseSummary(200, "gpt-4o", "openai", False, span_context=parent)
    )
    step.submit(
        _request(ESCALATION), ResponseSummary(502, "gpt-4o", "openai", False, span_context=parent)
    )
    assert step.drain()
    names = [s.name for s in exporter.get_finished_spans() if s.name.startswith("signals")]
    assert names == ["signals"]
    assert _sample(registry, "brightstaff_signals_conversations_total", quality="neutral") == 1
    assert _sample(registry, "brightstaff_signals_conversations_total", quality="severe") == 0


def test_full_queue_drops_and_counts() -> None:
    step, _, registry, _ = _step(queue_size=1)
    step._pending = 1  # one conversation already waiting
    for _ in range(3):
        step.submit(_request(CLEAN), ResponseSummary(200, "m", "p", False))
    assert _sample(registry, "brightstaff_signals_dropped_total") == 3
    step._pending = 0


def test_span_attributes_without_tracing() -> None:
    report = analyze([("human", "WHY IS THE EXPORT BROKEN AGAIN")])
    attributes = span_attributes(report)
    assert attributes["signals.interaction.disengagement.severity"] == 1
    assert attributes["signals.quality"] == "neutral"
