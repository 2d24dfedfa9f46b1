"""The conversation state's Prometheus metrics, in the service's `brightstaff_*` registry.

- ``brightstaff_state_operations_total{operation, outcome}``: ``load`` (``found``,
  ``unknown``, ``error``), ``store`` (``stored``, ``error``), ``delete`` (``deleted``,
  ``unknown``, ``error``).
- ``brightstaff_state_operation_duration_seconds{operation}``: time of each operation,
  database wait included.
- With a PostgreSQL cache (``cache_mb``), read at scrape time at no cost to requests:
  ``brightstaff_state_cache_lookups_total{outcome}`` (``hit``, ``miss``),
  ``brightstaff_state_cache_bytes`` and ``brightstaff_state_cache_in_use`` (1 while the delete
  listener is up and the cache is used, else 0).

Every label value is one of the constants above.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from brightstaff.state.recent import CacheStats

__all__ = ["Operation", "Outcome", "StateMetrics"]

Operation = Literal["load", "store", "delete"]
Outcome = Literal["found", "unknown", "stored", "deleted", "error"]
_OUTCOMES: dict[Operation, tuple[Outcome, ...]] = {
    "load": ("found", "unknown", "error"),
    "store": ("stored", "error"),
    "delete": ("deleted", "unknown", "error"),
}
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class StateMetrics:
    """Records the state operations; every labeled child is made once, up front."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        operations = Counter(
            "brightstaff_state_operations",
            "Conversation state operations (load, store, delete), by outcome.",
            ("operation", "outcome"),
            registry=registry,
        )
        duration = Histogram(
            "brightstaff_state_operation_duration_seconds",
            "Duration of conversation state operations, database wait included.",
            ("operation",),
            buckets=_BUCKETS,
            registry=registry,
        )
        self._counts = {
            (operation, outcome): operations.labels(operation, outcome)
            for operation, outcomes in _OUTCOMES.items()
            for outcome in outcomes
        }
        self._durations = {operation: duration.labels(operation) for operation in _OUTCOMES}

    def observe(self, operation: Operation, outcome: Outcome, started: float) -> None:
        """Count one operation and its duration since `started` (a `time.perf_counter()`)."""
        self._counts[operation, outcome].inc()
        self._durations[operation].observe(time.perf_counter() - started)

    def watch_cache(self, stats: Callable[[], CacheStats | None]) -> None:
        """Export a cache's figures, read from `stats` at each scrape."""
        self.registry.register(_CacheCollector(stats))


class _CacheCollector(Collector):
    def __init__(self, stats: Callable[[], CacheStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        if stats is None:
            return
        lookups = CounterMetricFamily(
            "brightstaff_state_cache_lookups",
            "Conversation loads on a replica with a cache: served from memory (hit) or read "
            "from the database (miss).",
            labels=("outcome",),
        )
        lookups.add_metric(("hit",), stats.hits)
        lookups.add_metric(("miss",), stats.misses)
        yield lookups
        yield GaugeMetricFamily(
            "brightstaff_state_cache_bytes",
            "Bytes of the conversations the cache keeps (histories plus a fixed overhead each).",
            value=stats.bytes,
        )
        yield GaugeMetricFamily(
            "brightstaff_state_cache_in_use",
            "1 while the cache is used (deletes are heard), 0 while every load reads the database.",
            value=1 if stats.in_use else 0,
        )
