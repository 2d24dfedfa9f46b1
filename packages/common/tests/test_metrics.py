"""Prometheus helpers: registries per service, bucket sets and exposition."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import Counter, Histogram

from plano_common import metrics

SERVICES = Path(__file__).resolve().parents[3] / "services"


def test_registries_are_independent() -> None:
    first = metrics.new_registry("llm_gateway", process_metrics=False)
    second = metrics.new_registry("brightstaff", process_metrics=False)
    Counter("requests", "Requests.", registry=first).inc()
    Counter("requests", "Requests.", registry=second).inc(2)
    assert first.get_sample_value("requests_total") == 1
    assert second.get_sample_value("requests_total") == 2


def test_build_info_and_process_metrics() -> None:
    registry = metrics.new_registry("llm_gateway")
    body, content_type = metrics.render_metrics(registry)
    assert content_type.startswith("text/plain")
    text = body.decode()
    assert 'plano_build_info{service="llm_gateway",version="' in text
    assert "process_cpu_seconds_total" in text or "python_info" in text


@pytest.mark.parametrize(
    "buckets",
    [
        metrics.LATENCY_SECONDS_BUCKETS,
        metrics.TTFT_SECONDS_BUCKETS,
        metrics.TIME_PER_OUTPUT_TOKEN_SECONDS_BUCKETS,
        metrics.TOKENS_PER_SECOND_BUCKETS,
    ],
)
def test_bucket_sets_are_sorted_and_usable(buckets: tuple[float, ...]) -> None:
    assert list(buckets) == sorted(set(buckets))
    registry = metrics.new_registry("svc", process_metrics=False)
    histogram = Histogram("h", "A histogram.", buckets=buckets, registry=registry)
    histogram.observe(buckets[0])
    assert registry.get_sample_value("h_count") == 1


def test_every_bucket_set_is_used_by_a_service() -> None:
    """No dead bucket sets: each one exported is used by at least one service's metrics."""
    sources = "".join(path.read_text(encoding="utf-8") for path in SERVICES.glob("*/src/**/*.py"))
    exported = [name for name in vars(metrics) if name.endswith("_BUCKETS")]
    assert exported
    assert [name for name in exported if name not in sources] == []


def test_openmetrics_negotiation() -> None:
    registry = metrics.new_registry("svc", process_metrics=False)
    body, content_type = metrics.render_metrics(
        registry, accept="application/openmetrics-text; version=1.0.0"
    )
    assert content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")


@pytest.mark.parametrize(("status", "label"), [(200, "2xx"), (404, "4xx"), (503, "5xx")])
def test_status_class(status: int, label: str) -> None:
    assert metrics.status_class(status) == label
