"""The `brightstaff_*` Prometheus metrics, in a registry of their own (served on :9092).

Every label value comes from a bounded set: handler names and outcomes are constants here,
provider and model labels are configured names (see `Models.label`), route labels are
configured routing-preference names.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from plano_common.metrics import new_registry, status_class

__all__ = [
    "HANDLER_HEALTH",
    "HANDLER_LIST_MODELS",
    "HANDLER_LLM",
    "HANDLER_NOT_FOUND",
    "HANDLER_PREFLIGHT",
    "HANDLER_ROUTING",
    "HANDLER_STATE",
    "BrightstaffMetrics",
]

HANDLER_LLM = "llm_chat"
HANDLER_ROUTING = "routing_decision"
HANDLER_LIST_MODELS = "list_models"
HANDLER_PREFLIGHT = "cors_preflight"
HANDLER_HEALTH = "health"
HANDLER_STATE = "responses_state"
HANDLER_NOT_FOUND = "not_found"

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
ROUTER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PROVIDER_MODEL = ("provider", "model")


class BrightstaffMetrics:
    """Every metric brightstaff exports; the routing and state steps record into it too."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or new_registry("brightstaff")
        r = self.registry
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.http_requests = Counter(
            "brightstaff_http_requests",
            "HTTP requests served, by handler, method and status class.",
            ("handler", "method", "status_class"),
            registry=r,
        )
        self.http_duration = Histogram(
            "brightstaff_http_request_duration_seconds",
            "Wall-clock duration of HTTP requests, by handler.",
            ("handler",),
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "brightstaff_http_in_flight_requests",
            "HTTP requests being served now, by handler.",
            ("handler",),
            registry=r,
        )
        self._llm_metrics(r)
        self._routing_metrics(r)
        build = Gauge(
            "brightstaff_build_info",
            "Build of the running brightstaff (always 1).",
            ("version",),
            registry=r,
        )
        build.labels(_version()).set(1)

    def _llm_metrics(self, r: CollectorRegistry) -> None:
        self.llm_requests = Counter(
            "brightstaff_llm_upstream_requests",
            "LLM egress calls by provider, model, status class and error class.",
            (*PROVIDER_MODEL, "status_class", "error_class"),
            registry=r,
        )
        self.llm_duration = Histogram(
            "brightstaff_llm_upstream_duration_seconds",
            "Duration of LLM egress calls (to the stream's end when streaming).",
            PROVIDER_MODEL,
            buckets=LLM_BUCKETS,
            registry=r,
        )
        self.llm_ttft = Histogram(
            "brightstaff_llm_time_to_first_token_seconds",
            "Time from the request's arrival to its first streamed token.",
            PROVIDER_MODEL,
            buckets=LLM_BUCKETS,
            registry=r,
        )
        self.llm_tokens = Counter(
            "brightstaff_llm_tokens",
            "Tokens reported in the response usage, by kind (prompt, completion, cache_read, "
            "cache_write).",
            (*PROVIDER_MODEL, "kind"),
            registry=r,
        )
        self.llm_usage_missing = Counter(
            "brightstaff_llm_tokens_usage_missing",
            "Successful LLM responses that reported no usage.",
            PROVIDER_MODEL,
            registry=r,
        )

    def _routing_metrics(self, r: CollectorRegistry) -> None:
        self.router_decisions = Counter(
            "brightstaff_router_decisions",
            "Routing decisions, by endpoint kind (llm, routing), selected model and fallback.",
            ("route", "selected_model", "fallback"),
            registry=r,
        )
        self.router_duration = Histogram(
            "brightstaff_router_decision_duration_seconds",
            "Time spent deciding a route, by endpoint kind.",
            ("route",),
            buckets=ROUTER_BUCKETS,
            registry=r,
        )
        self.router_skips = Counter(
            "brightstaff_router_skips",
            "Requests that reused an earlier routing decision, by reason.",
            ("reason",),
            registry=r,
        )
        self.routing_service_requests = Counter(
            "brightstaff_routing_service_requests",
            "Outcomes of /routing/* decision requests.",
            ("outcome",),
            registry=r,
        )
        self.session_cache_events = Counter(
            "brightstaff_session_cache_events",
            "Session affinity cache events, by outcome (hit, miss, store, error, store_error).",
            ("outcome",),
            registry=r,
        )

    def child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        """The labeled child of `metric`, looked up once per label set (the sets are bounded)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def observe_http(self, handler: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request of a handler (`method` GET/POST/... else OTHER)."""
        method = method if method in _METHODS else "OTHER"
        self.child(self.http_requests, handler, method, status_class(status)).inc()
        self.child(self.http_duration, handler).observe(seconds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _version() -> str:
    try:
        return metadata.version("brightstaff")
    except metadata.PackageNotFoundError:
        return "unknown"
