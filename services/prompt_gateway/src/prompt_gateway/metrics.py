"""Prometheus metrics of the prompt gateway, in a registry of its own (served at /metrics).

Every label comes from a bounded set: outcomes and callout kinds are fixed vocabularies,
status classes are `2xx`..`5xx`, and target names are the configured prompt targets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from prometheus_client import Counter, Gauge, Histogram

from plano_common.metrics import LATENCY_SECONDS_BUCKETS, new_registry, status_class

__all__ = ["CALLOUTS", "OUTCOMES", "PromptMetrics"]

OUTCOMES: Final = (
    "tool_call",
    "api_response",
    "clarification",
    "default_target",
    "llm",
    "passthrough",
    "guard_blocked",
    "error",
)
CALLOUTS: Final = ("function_calling", "developer_api", "default_target", "llm", "guard")
OTHER_TARGET = "other"


class PromptMetrics:
    """Every metric the prompt gateway exports."""

    def __init__(self, target_names: Iterable[str] = ()) -> None:
        self.targets = frozenset(target_names)
        self.registry = new_registry("prompt-gateway")
        r = self.registry
        self.requests = Counter(
            "prompt_gateway_requests",
            "Chat requests answered, by outcome and HTTP status class.",
            ("outcome", "status"),
            registry=r,
        )
        self.duration = Histogram(
            "prompt_gateway_request_duration_seconds",
            "Whole request time, first byte in to last byte out.",
            ("outcome",),
            buckets=LATENCY_SECONDS_BUCKETS,
            registry=r,
        )
        self.callouts = Counter(
            "prompt_gateway_callouts",
            "Calls to the function-calling service, developer APIs, the guard and the LLM.",
            ("callout", "status"),
            registry=r,
        )
        self.callout_duration = Histogram(
            "prompt_gateway_callout_duration_seconds",
            "Time to the answer's head (whole body for non-streaming calls).",
            ("callout",),
            buckets=LATENCY_SECONDS_BUCKETS,
            registry=r,
        )
        self.target_calls = Counter(
            "prompt_gateway_target_calls",
            "Developer API calls per prompt target, by status class.",
            ("target", "status"),
            registry=r,
        )
        self.guard_decisions = Counter(
            "prompt_gateway_guard_decisions",
            "Jailbreak guard decisions by source (endpoint, builtin, error) and verdict.",
            ("source", "verdict"),
            registry=r,
        )
        self.guard_errors = Counter(
            "prompt_gateway_guard_errors",
            "Guard calls that failed, by the policy applied (open lets the request through).",
            ("policy",),
            registry=r,
        )
        self.in_flight = Gauge(
            "prompt_gateway_in_flight_requests", "Chat requests being served now.", registry=r
        )

    def target_label(self, name: str) -> str:
        """The label of a target name (configured names only)."""
        return name if name in self.targets else OTHER_TARGET

    def callout(self, kind: str, status: int, seconds: float) -> None:
        """Count one callout and its duration; status 0 means no answer."""
        self.callouts.labels(kind, status_class(status) if status else "none").inc()
        self.callout_duration.labels(kind).observe(seconds)

    def finished(self, outcome: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(outcome, status_class(status)).inc()
        self.duration.labels(outcome).observe(seconds)
