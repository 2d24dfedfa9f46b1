"""`planoai obs`: a live table of LLM calls per model from llm-gateway's `/metrics`.

Columns: requests, errors (non-2xx), input and output tokens (totals since start), output
tokens per second over the last interval, p95 request latency and p95 time to first token
(over everything since start, from the histograms)."""

from __future__ import annotations

import math
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.live import Live
from rich.table import Table

__all__ = ["ModelStats", "parse_metrics", "quantile", "run_obs", "scrape", "stats_table"]

SCRAPE_TIMEOUT = 5.0
MAX_METRICS_BYTES = 8 * 1024 * 1024
PREFIX = "llm_gateway_"


@dataclass
class ModelStats:
    """What llm-gateway's metrics say about one model."""

    requests: float = 0.0
    errors: float = 0.0
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    latency: dict[float, float] = field(default_factory=dict)
    ttft: dict[float, float] = field(default_factory=dict)


def scrape(url: str) -> dict[str, ModelStats]:
    """Fetch and parse a `/metrics` page; raises OSError when it cannot be read."""
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as response:
        text = response.read(MAX_METRICS_BYTES).decode(errors="replace")
    return parse_metrics(text)


def parse_metrics(text: str) -> dict[str, ModelStats]:
    """Per-model stats from a Prometheus exposition of llm-gateway."""
    stats: dict[str, ModelStats] = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(PREFIX):
            continue
        for sample in family.samples:
            _add(stats, sample.name, sample.labels, sample.value)
    return stats


def _add(stats: dict[str, ModelStats], name: str, labels: Mapping[str, str], value: float) -> None:
    model = labels.get("model")
    if model is None:
        return
    entry = stats.setdefault(model, ModelStats())
    metric = name.removeprefix(PREFIX)
    if metric == "requests_total":
        entry.requests += value
        if not labels.get("status", "").startswith("2"):
            entry.errors += value
    elif metric == "input_tokens_total":
        entry.input_tokens += value
    elif metric == "output_tokens_total":
        entry.output_tokens += value
    elif metric in ("request_duration_seconds_bucket", "time_to_first_token_seconds_bucket"):
        buckets = entry.latency if metric.startswith("request") else entry.ttft
        bound = float(labels.get("le", "inf"))
        buckets[bound] = buckets.get(bound, 0.0) + value


def quantile(buckets: Mapping[float, float], q: float) -> float | None:
    """The q-quantile of cumulative histogram buckets (linear within a bucket), None if empty."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            share = (rank - below) / (count - below) if count > below else 1.0
            return lower + (bound - lower) * share
        lower, below = bound, count
    return lower


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def stats_table(
    now: Mapping[str, ModelStats], before: Mapping[str, ModelStats], interval: float
) -> Table:
    """The table of one refresh; tok/s compares with the previous scrape."""
    table = Table(title="LLM calls (llm-gateway)", title_justify="left")
    for column in (
        "model",
        "requests",
        "errors",
        "input tok",
        "output tok",
        "tok/s",
        "p95",
        "p95 TTFT",
    ):
        table.add_column(column, justify="left" if column == "model" else "right")
    for model, stats in sorted(now.items(), key=lambda item: -item[1].requests):
        previous = before.get(model, ModelStats())
        rate = (stats.output_tokens - previous.output_tokens) / interval if before else 0.0
        table.add_row(
            model,
            f"{stats.requests:.0f}",
            f"{stats.errors:.0f}",
            f"{stats.input_tokens:.0f}",
            f"{stats.output_tokens:.0f}",
            f"{max(rate, 0.0):.1f}",
            _seconds(quantile(stats.latency, 0.95)),
            _seconds(quantile(stats.ttft, 0.95)),
        )
    return table


def run_obs(url: str, console: Console, interval: float, once: bool) -> None:
    """Print the table once, or refresh it every `interval` seconds until interrupted."""
    current = scrape(url)
    if once:
        console.print(stats_table(current, {}, interval))
        return
    with Live(stats_table(current, {}, interval), console=console, auto_refresh=False) as live:
        while True:
            time.sleep(interval)
            previous, current = current, scrape(url)
            live.update(stats_table(current, previous, interval), refresh=True)
