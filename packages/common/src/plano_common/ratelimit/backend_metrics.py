"""Prometheus metrics of a rate-limit backend."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

__all__ = ["RateLimitMetrics"]


class RateLimitMetrics:
    """Counters a shared-state backend reports; create one per service registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.backend_errors = Counter(
            "plano_ratelimit_backend_errors_total",
            "Rate-limit checks that could not reach the shared backend, by outcome applied.",
            ["backend", "outcome"],
            registry=self.registry,
        )
