"""Prometheus helpers shared by the services: registries, bucket sets, exposition."""

from __future__ import annotations

from importlib import metadata

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_TYPE
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

__all__ = [
    "LATENCY_SECONDS_BUCKETS",
    "TIME_PER_OUTPUT_TOKEN_SECONDS_BUCKETS",
    "TOKENS_PER_SECOND_BUCKETS",
    "TTFT_SECONDS_BUCKETS",
    "new_registry",
    "render_metrics",
    "status_class",
]

# Request and upstream latency.
LATENCY_SECONDS_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip

# Time to the first streamed token.
TTFT_SECONDS_BUCKETS: tuple[float, ...] = (
    0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0,
)  # fmt: skip

# Time per output token after the first one.
TIME_PER_OUTPUT_TOKEN_SECONDS_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0,
)  # fmt: skip

# Output tokens per second.
TOKENS_PER_SECOND_BUCKETS: tuple[float, ...] = (
    1, 5, 10, 20, 40, 60, 80, 100, 150, 200, 300, 500, 1000,
)  # fmt: skip


def new_registry(service: str, *, process_metrics: bool = True) -> CollectorRegistry:
    """A registry for one service, with ``plano_build_info`` and optionally process metrics."""
    registry = CollectorRegistry(auto_describe=True)
    if process_metrics:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
    build_info = Gauge(
        "plano_build_info",
        "Build of the running service (always 1).",
        ["service", "version"],
        registry=registry,
    )
    build_info.labels(service, _version()).set(1)
    return registry


def _version() -> str:
    try:
        return metadata.version("plano-common")
    except metadata.PackageNotFoundError:
        return "unknown"


def render_metrics(registry: CollectorRegistry, accept: str | None = None) -> tuple[bytes, str]:
    """The exposition body and its content type (OpenMetrics when the scraper accepts it)."""
    if accept and "application/openmetrics-text" in accept:
        return generate_openmetrics(registry), OPENMETRICS_TYPE  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def status_class(status: int) -> str:
    """The label value of an HTTP status: ``2xx``, ``4xx``, ``5xx``…"""
    return f"{status // 100}xx"
