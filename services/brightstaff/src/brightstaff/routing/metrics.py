"""Recording routing and session-affinity metrics, with bounded label values.

The counters of `BrightstaffMetrics` are used (``brightstaff_router_*``,
``brightstaff_session_cache_events``, ``brightstaff_routing_service_requests``), plus
``brightstaff_router_fallbacks`` (by reason) and ``brightstaff_session_switch_decisions``.
Model labels are limited to the models named in the config (providers, aliases, routing
preferences); any other model is reported as ``other``. Route labels are ``llm`` (the LLM
path) or ``routing`` (the routing API).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Literal

from prometheus_client import CollectorRegistry, Counter

from brightstaff.metrics import BrightstaffMetrics

__all__ = ["OTHER_MODEL", "RouteKind", "RoutingMetrics"]

OTHER_MODEL: Final = "other"
NO_MODEL: Final = "none"
RouteKind = Literal["llm", "routing"]


class RoutingMetrics:
    """The routing view of the service's metrics."""

    def __init__(self, metrics: BrightstaffMetrics | None, models: Collection[str]) -> None:
        self.base = metrics if metrics is not None else BrightstaffMetrics(CollectorRegistry())
        self._models = frozenset(models)
        registry = self.base.registry
        self.fallbacks = Counter(
            "brightstaff_router_fallbacks",
            "Routed requests that kept the requested model, by reason.",
            ["reason"],
            registry=registry,
        )
        self.switches = Counter(
            "brightstaff_session_switch_decisions",
            "Model switches proposed for warm sessions: allowed or retained, by reason.",
            ["decision", "reason"],
            registry=registry,
        )

    def model_label(self, model: str | None) -> str:
        """``model`` when the config names it, else ``other`` (``none`` for no model)."""
        if not model:
            return NO_MODEL
        return model if model in self._models else OTHER_MODEL

    def decision(self, route: RouteKind, model: str, fallback: str | None, seconds: float) -> None:
        """Count one decision and its duration."""
        self.base.router_decisions.labels(
            route, self.model_label(model), "true" if fallback else "false"
        ).inc()
        self.base.router_duration.labels(route).observe(seconds)
        if fallback:
            self.fallbacks.labels(fallback).inc()

    def skip(self, reason: str) -> None:
        """Count a request that reused an earlier decision."""
        self.base.router_skips.labels(reason).inc()

    def session_event(self, outcome: str) -> None:
        """Count a session cache event (hit, miss, store, error, store_error)."""
        self.base.session_cache_events.labels(outcome).inc()

    def service_outcome(self, outcome: str) -> None:
        """Count a routing API answer (decision_served, no_candidates, policy_error)."""
        self.base.routing_service_requests.labels(outcome).inc()
