"""Cost of the interaction-quality signals.

    uv run python bench/bench_signals.py            # full run (~1 minute)
    uv run python bench/bench_signals.py --quick    # smoke run

1. The analysis alone: a 50-turn conversation (50 user and 50 assistant messages with tool
   calls and tool results mixed in) as the worker thread sees it (request body → rows →
   report), p50 / p95 over many runs. Budget: 2 ms.
2. The request path: the same conversation sent to the model listener (client → brightstaff
   → llm_gateway → fake upstream), one request at a time, with signals on and with
   ``overrides.disable_signals: true``. The analysis runs after the reply in a worker thread,
   so the added p50 should be noise.

The table is written to bench/results/signals.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from brightstaff.signals import analyze, conversation_rows
from brightstaff.signals.analyzer import _cached_from_text
from hermesllm.apis import ClientApi
from plano_testkit import FakeUpstream, ServiceStartError, free_port, run_service

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "signals.md"


def conversation(turns: int = 50) -> list[dict[str, Any]]:
    """A realistic support conversation of `turns` user turns."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a support agent."}]
    for i in range(turns):
        messages.append(
            {
                "role": "user",
                "content": f"Order {1000 + i} still has not arrived, can you check the tracking "
                f"status again? I already asked about this on day {i}.",
            }
        )
        if i % 5 == 4:
            args = json.dumps({"order_id": 1000 + i})
            call = {
                "id": f"c{i}",
                "type": "function",
                "function": {"name": "track", "arguments": args},
            }
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            messages.append(
                {"role": "tool", "tool_call_id": f"c{i}", "content": "HTTP 504 gateway timeout"}
            )
        messages.append(
            {
                "role": "assistant",
                "content": f"I checked order {1000 + i}: it left the warehouse and should arrive "
                "within two business days. Anything else I can help with?",
            }
        )
    return messages


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def bench_analysis(runs: int) -> tuple[tuple[float, float], tuple[float, float], int]:
    """((cold p50, p95), (warm p50, p95)) in ms of body → rows → report, and the row count.

    Cold: every message is new (the normalization cache is cleared before each run). Warm:
    the 49-turn history was analyzed on the previous request; only the last turn is new."""
    full = conversation()
    body = {"messages": full}
    rows = conversation_rows(ClientApi.CHAT, body)
    cold, warm = [], []
    for run in range(runs):
        _cached_from_text.cache_clear()
        started = time.perf_counter()
        analyze(conversation_rows(ClientApi.CHAT, body))
        cold.append((time.perf_counter() - started) * 1000)
        history = [*full[:-2], {"role": "user", "content": f"one more question, number {run}"}]
        analyze(conversation_rows(ClientApi.CHAT, {"messages": history}))
        latest = [*history, {"role": "assistant", "content": f"Answer number {run}."}]
        latest.append({"role": "user", "content": f"thanks, last one {run}"})
        started = time.perf_counter()
        analyze(conversation_rows(ClientApi.CHAT, {"messages": latest}))
        warm.append((time.perf_counter() - started) * 1000)
    return _percentiles(cold), _percentiles(warm), len(rows)


def config(fake_url: str, gateway_port: int, model_port: int, disable: bool) -> str:
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-bench
    base_url: {fake_url}
    default: true
overrides:
  disable_signals: {"true" if disable else "false"}
"""


def _post(url: str, data: bytes) -> float:
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def bench_path(fake: FakeUpstream, disable: bool, requests: int) -> float:
    """p50 ms of sequential requests through the model listener (the chain is restarted on
    fresh ports if it cannot be reached: other processes share this machine's ports)."""
    for attempt in range(3):
        try:
            return _path_once(fake, disable, requests)
        except (OSError, ServiceStartError) as exc:
            print(f"chain start failed ({exc}); retrying", flush=True)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _path_once(fake: FakeUpstream, disable: bool, requests: int) -> float:
    gateway_port, model_port = free_port(), free_port()
    text = config(fake.url, gateway_port, model_port, disable)
    quiet: dict[str, str | None] = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": None}
    body = json.dumps({"model": "gpt-4o-mini", "messages": conversation()}).encode()
    url = f"http://127.0.0.1:{model_port}/v1/chat/completions"
    with (
        run_service("llm_gateway", text, port=gateway_port, env=quiet),
        run_service("brightstaff", text, env={**quiet, "PLANO_METRICS_PORT": str(free_port())}),
    ):
        for _ in range(20):
            _post(url, body)
        samples = [_post(url, body) for _ in range(requests)]
    return statistics.median(samples)


def _ms(values: list[float]) -> str:
    return ", ".join(f"{v:.2f} ms" for v in values)


def main() -> None:
    """Run both measurements and write the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, requests, rounds = (200, 100, 1) if args.quick else (2000, 400, 3)
    (cold50, cold95), (warm50, warm95), rows = bench_analysis(runs)
    on: list[float] = []
    off: list[float] = []
    with FakeUpstream() as fake:
        for _ in range(rounds):
            off.append(bench_path(fake, True, requests))
            on.append(bench_path(fake, False, requests))
    added = statistics.median(on) - statistics.median(off)
    lines = [
        "| measurement | p50 | p95 |",
        "|---|---|---|",
        f"| analysis, 50-turn conversation ({rows} rows), all new "
        f"| {cold50:.3f} ms | {cold95:.3f} ms |",
        f"| analysis, same conversation, history seen before | {warm50:.3f} ms | {warm95:.3f} ms |",
        f"| model listener, signals off (p50 per round) | {_ms(off)} | |",
        f"| model listener, signals on (p50 per round) | {_ms(on)} | |",
        f"| added p50 with signals on (median of rounds) | {added:+.2f} ms | |",
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Signals benchmark\n\n`uv run python bench/bench_signals.py"
        + (" --quick" if args.quick else "")
        + "` (sequential requests, one client; shared 2-core machine).\n\n"
        + table
        + "\n"
    )


if __name__ == "__main__":
    main()
