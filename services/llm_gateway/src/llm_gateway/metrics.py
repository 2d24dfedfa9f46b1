"""Prometheus metrics of the gateway, in a registry of its own (served at /metrics).

Provider and model labels come from ``ModelLabels``: configured pairs, a bounded number of
wildcard-matched models per provider prefix, the rest ``other``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram

from plano_common.metric_labels import ModelLabels
from plano_common.metrics import (
    LATENCY_SECONDS_BUCKETS,
    TIME_PER_OUTPUT_TOKEN_SECONDS_BUCKETS,
    TOKENS_PER_SECOND_BUCKETS,
    TTFT_SECONDS_BUCKETS,
    new_registry,
)

__all__ = ["OVERHEAD_BUCKETS", "PROVIDER_MODEL", "GatewayMetrics", "ModelSeries"]

OVERHEAD_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1,
)  # fmt: skip
PROVIDER_MODEL = ("provider", "model")


@dataclass(slots=True)
class ModelSeries:
    """The labeled children of one (provider, model): looked up once, reused per request."""

    duration: Histogram
    upstream_latency: Histogram
    ttft: Histogram
    per_output_token: Histogram
    tokens_per_second: Histogram
    overhead: Histogram
    input_tokens: Counter
    output_tokens: Counter


class GatewayMetrics:
    """Every metric the gateway exports."""

    def __init__(self, labels: ModelLabels | None = None) -> None:
        self.labels = labels or ModelLabels()
        self.registry = new_registry("llm-gateway")
        r = self.registry
        self.requests = Counter(
            "llm_gateway_requests",
            "Requests answered, by provider, model and HTTP status.",
            ("provider", "model", "status"),
            registry=r,
        )
        self.duration = Histogram(
            "llm_gateway_request_duration_seconds",
            "Whole request time, first byte in to last byte out.",
            PROVIDER_MODEL,
            buckets=LATENCY_SECONDS_BUCKETS,
            registry=r,
        )
        self.upstream_latency = Histogram(
            "llm_gateway_upstream_latency_seconds",
            "Upstream time: from sending the request to its last byte.",
            PROVIDER_MODEL,
            buckets=LATENCY_SECONDS_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "llm_gateway_time_to_first_token_seconds",
            "Time from the request arriving to the first token sent to the client (streams).",
            PROVIDER_MODEL,
            buckets=TTFT_SECONDS_BUCKETS,
            registry=r,
        )
        self.per_output_token = Histogram(
            "llm_gateway_time_per_output_token_seconds",
            "Stream time after the first token divided by the output tokens after it.",
            PROVIDER_MODEL,
            buckets=TIME_PER_OUTPUT_TOKEN_SECONDS_BUCKETS,
            registry=r,
        )
        self.tokens_per_second = Histogram(
            "llm_gateway_output_tokens_per_second",
            "Output tokens per second of upstream time.",
            PROVIDER_MODEL,
            buckets=TOKENS_PER_SECOND_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "llm_gateway_overhead_seconds",
            "Time the gateway itself added: total time minus upstream time.",
            PROVIDER_MODEL,
            buckets=OVERHEAD_BUCKETS,
            registry=r,
        )
        self.input_tokens = Counter(
            "llm_gateway_input_tokens",
            "Input tokens (from upstream usage, counted locally when absent).",
            PROVIDER_MODEL,
            registry=r,
        )
        self.output_tokens = Counter(
            "llm_gateway_output_tokens",
            "Output tokens (upstream usage; estimated from streamed text when absent).",
            PROVIDER_MODEL,
            registry=r,
        )
        self.ratelimited = Counter(
            "llm_gateway_ratelimited_requests",
            "Requests refused by a token rate limit.",
            ("model",),
            registry=r,
        )
        self.retries = Counter(
            "llm_gateway_upstream_retries",
            "Upstream attempts beyond the first.",
            ("provider",),
            registry=r,
        )
        self.in_flight = Gauge(
            "llm_gateway_in_flight_requests", "Requests being served now.", registry=r
        )
        self.open_connections = Gauge(
            "llm_gateway_upstream_open_connections",
            "Upstream connections open now (pooled idle plus in use).",
            registry=r,
        )
        self.loop_tasks = Gauge(
            "llm_gateway_event_loop_tasks", "Tasks alive on the event loop.", registry=r
        )
        self._series: dict[tuple[str, str], ModelSeries] = {}

    def watch(self, open_connections: Callable[[], int]) -> None:
        """Sample gauges computed at scrape time."""
        self.open_connections.set_function(open_connections)
        self.loop_tasks.set_function(_task_count)

    def bounded(self, provider: str, model: str) -> tuple[str, str]:
        """The label values of a served (provider, model) pair (see ModelLabels)."""
        if provider == "none":
            return "none", "none"
        return self.labels.labels(provider, model)

    def series(self, provider: str, model: str) -> ModelSeries:
        """The labeled children of a served (provider, model) pair, cached per label pair."""
        key = provider, model = self.bounded(provider, model)
        found = self._series.get(key)
        if found is None:
            found = ModelSeries(
                duration=self.duration.labels(provider, model),
                upstream_latency=self.upstream_latency.labels(provider, model),
                ttft=self.ttft.labels(provider, model),
                per_output_token=self.per_output_token.labels(provider, model),
                tokens_per_second=self.tokens_per_second.labels(provider, model),
                overhead=self.overhead.labels(provider, model),
                input_tokens=self.input_tokens.labels(provider, model),
                output_tokens=self.output_tokens.labels(provider, model),
            )
            self._series[key] = found
        return found


def _task_count() -> float:
    try:
        return float(len(asyncio.all_tasks()))
    except RuntimeError:
        return 0.0
