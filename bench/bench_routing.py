"""What preference routing adds to a request: the orchestrator call, and how much more.

    uv run python bench/bench_routing.py            # full run (~1 minute)
    uv run python bench/bench_routing.py --quick    # smoke run

The load driver, the fake upstream and the fake orchestrator share CPU core 0; llm-gateway and
brightstaff share core 1. Two brightstaff processes run from two configs: one without routing
preferences, one with two routes (the fake orchestrator picks a route from the prompt). At
concurrency 1 it measures the p50 latency of:

- ``plain``: client → brightstaff (no routing) → llm-gateway → fake upstream;
- ``routed``: the same through the routing brightstaff (every request asks the orchestrator);
- ``pinned``: the routing brightstaff with ``x-model-affinity`` (the session's model is reused);
- ``orchestrator call``: the orchestrator request brightstaff sends, posted to llm-gateway
  directly (client → llm-gateway → fake orchestrator).

The paths take turns in rounds and each reports the median of its per-round p50, so load from
other processes on the machine affects them alike.

Routing overhead = routed - plain - orchestrator call (target ≤ 1 ms). The table is written to
bench/results/routing.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import VENV_BIN, free_port, process, wait_http
from gateway_load import LoadResult, build_request, run_load

from brightstaff.routing import build_router
from brightstaff.routing.prompt import ChatTurn, RouteSpec, orchestrator_body
from brightstaff.seams import LlmRequest
from hermesllm.apis import ClientApi
from plano_common.config.loader import load_config_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "routing.md"
DRIVER_CORE, SERVICE_CORE = 0, 1
QUESTION = "please write a python function that sums a list of numbers"
ROUTES = [
    RouteSpec("code generation", "writing new code snippets functions or boilerplate"),
    RouteSpec("image generation", "drawing pictures images and illustrations"),
]


def config(fake: int, orchestrator: int, model_port: int, gateway: int, routed: bool) -> str:
    preferences = ""
    if routed:
        preferences = "routing_preferences:\n" + "".join(
            f"  - {{name: {r.name}, description: {r.description}, models: [openai/gpt-4o]}}\n"
            for r in ROUTES
        )
    return f"""version: v0.4.0
listeners:
  - {{type: model, name: llm, address: 127.0.0.1, port: {model_port}, timeout: 30s}}
endpoints:
  llm_gateway: {{endpoint: "127.0.0.1:{gateway}"}}
model_providers:
  - {{model: openai/gpt-4o-mini, access_key: sk-x, base_url: "http://127.0.0.1:{fake}",
      default: true}}
  - {{model: openai/gpt-4o, access_key: sk-x, base_url: "http://127.0.0.1:{fake}"}}
  - {{model: openai/Plano-Orchestrator, access_key: sk-x,
      base_url: "http://127.0.0.1:{orchestrator}"}}
{preferences}"""


def chat(port: int, body: dict[str, object], headers: dict[str, str] | None = None) -> bytes:
    extra = {"content-type": "application/json", **(headers or {})}
    return build_request(
        "127.0.0.1", port, "/v1/chat/completions", json.dumps(body).encode(), extra
    )


def p50(port: int, payload: bytes, requests: int) -> tuple[float, int]:
    """The median latency (seconds) of ``requests`` at concurrency 1, and the failures."""
    result: LoadResult = asyncio.run(
        run_load("127.0.0.1", port, payload, concurrency=1, requests=requests)
    )
    return result.percentile(50), result.errors + result.non_2xx


def interleaved(
    targets: list[tuple[str, int, bytes]], rounds: int, per_round: int
) -> list[tuple[str, float, int]]:
    """Each target's median over rounds of ``per_round`` requests, the targets taking turns,
    so a change in machine load affects every target alike."""
    medians: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    failures = dict.fromkeys(medians, 0)
    for _ in range(rounds):
        for name, port, payload in targets:
            median, failed = p50(port, payload, per_round)
            medians[name].append(median)
            failures[name] += failed
    return [(name, statistics.median(medians[name]), failures[name]) for name, _, _ in targets]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    args = parser.parse_args()
    rounds, per_round = (3, 100) if args.quick else (15, 200)
    fake, orch, gateway = free_port(), free_port(), free_port()
    plain_port, routed_port = free_port(), free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-routing-"))
    plain_config, routed_config = work / "plain.yaml", work / "routed.yaml"
    plain_config.write_text(config(fake, orch, plain_port, gateway, routed=False))
    routed_config.write_text(config(fake, orch, routed_port, gateway, routed=True))
    env = {"PLANO_ACCESS_LOG": "off"}
    routed_metrics = free_port()
    orch_argv = [sys.executable, "-m", "plano_testkit.orchestrator", "--port", str(orch)]
    gw_argv = [str(VENV_BIN / "llm-gateway"), "--config", str(routed_config)]
    gw_argv += ["--host", "127.0.0.1", "--port", str(gateway)]
    with (
        process([str(VENV_BIN / "plano-fake-upstream"), "--port", str(fake)], DRIVER_CORE),
        process(orch_argv, DRIVER_CORE),
        process(gw_argv, SERVICE_CORE, env=env, log=work / "gateway.log"),
        process(bs_argv(plain_config), SERVICE_CORE, env=bs_env(env), log=work / "plain.log"),
        process(
            bs_argv(routed_config),
            SERVICE_CORE,
            env={**env, "PLANO_METRICS_PORT": str(routed_metrics)},
            log=work / "routed.log",
        ),
    ):
        for port in (gateway, plain_port, routed_port):
            wait_http(f"http://127.0.0.1:{port}/healthz")
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": QUESTION}]}
        turns = [ChatTurn("user", QUESTION)]
        orchestrator = orchestrator_body("Plano-Orchestrator", ROUTES, turns, 8192)
        affinity = {"x-model-affinity": "bench"}
        targets = [
            ("orchestrator call (client -> llm-gateway -> fake orchestrator)", gateway,
             chat(gateway, orchestrator)),
            ("plain (no routing)", plain_port, chat(plain_port, body)),
            ("routed (orchestrator asked on every request)", routed_port,
             chat(routed_port, body)),
            ("pinned (x-model-affinity, no orchestrator call)", routed_port,
             chat(routed_port, body, affinity)),
        ]  # fmt: skip
        interleaved(targets, 1, per_round)
        before = decision_seconds(routed_metrics)
        rows = interleaved(targets, rounds, per_round)
        after = decision_seconds(routed_metrics)
        inside = (after[0] - before[0]) / max(after[1] - before[1], 1)
        for name, median, failed in rows:
            print(f"  {name}: p50 {median * 1e3:.3f} ms, failed {failed}")
    cpu = decide_cost(routed_config.read_text(), 2000)
    report(rows, rounds, per_round, inside, cpu)


def bs_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PLANO_METRICS_PORT": str(free_port())}


def bs_argv(path: Path) -> list[str]:
    return [
        str(VENV_BIN / "brightstaff"),
        "--config",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
    ]


class InstantOrchestrator:
    """A `ChatCompleter` answering the first route at once (no I/O)."""

    async def __call__(
        self, body: dict[str, object], *, request: LlmRequest | None, timeout_seconds: float
    ) -> dict[str, object]:
        content = json.dumps({"route": [ROUTES[0].name]})
        return {"choices": [{"message": {"role": "assistant", "content": content}}]}


def decide_cost(config_text: str, count: int) -> dict[str, float]:
    """Mean CPU time of one routing decision in process (the orchestrator answers at once)."""
    router = build_router(load_config_text(config_text, environ={}), InstantOrchestrator())
    system = "You are a helpful coding assistant. " * 50
    messages = [{"role": "system", "content": system}, {"role": "user", "content": QUESTION}]

    def request(headers: dict[str, str]) -> LlmRequest:
        body = {"model": "gpt-4o-mini", "messages": messages}
        return LlmRequest(
            api=ClientApi.CHAT, path="/v1/chat/completions", body=body, headers=headers,
            request_id="bench", requested_model="gpt-4o-mini", model="gpt-4o-mini",
            provider="openai/gpt-4o-mini", stream=False, listener="llm",
        )  # fmt: skip

    async def run() -> dict[str, float]:
        costs = {}
        for name, headers in (("routed", {}), ("pinned", {"x-model-affinity": "bench"})):
            started = time.perf_counter()
            for _ in range(count):
                await router.decide(request(headers))
            costs[name] = (time.perf_counter() - started) / count
        return costs

    return asyncio.run(run())


def decision_seconds(metrics_port: int) -> tuple[float, float]:
    """(sum, count) of brightstaff's routing decision durations on the LLM path."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    values = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        for kind in values:
            prefix = f'brightstaff_router_decision_duration_seconds_{kind}{{route="llm"}} '
            if line.startswith(prefix):
                values[kind] = float(line[len(prefix) :])
    return values["sum"], values["count"]


def report(
    rows: list[tuple[str, float, int]],
    rounds: int,
    per_round: int,
    inside: float,
    cpu: dict[str, float],
) -> None:
    orchestrator, plain, routed, pinned = (r[1] for r in rows)
    overhead = routed - plain - orchestrator
    lines = [
        "# Routing overhead",
        "",
        f"Concurrency 1; median of {rounds} rounds of {per_round} requests per path (the paths",
        "take turns, after one warm-up round); p50 latency. Machine: "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end of the run.",
        "",
        "| path | p50 (ms) | failed |",
        "|---|---:|---:|",
        *(f"| {name} | {value * 1e3:.3f} | {failed} |" for name, value, failed in rows),
        "",
        f"Routing overhead (routed - plain - orchestrator call): **{overhead * 1e3:.3f} ms** "
        "(target ≤ 1 ms).",
        f"Pinned session overhead (pinned - plain): {(pinned - plain) * 1e3:.3f} ms.",
        f"Routing decision inside brightstaff (mean, orchestrator call through its egress client "
        f"included): {inside * 1e3:.3f} ms; routed - plain - that: "
        f"{(routed - plain - inside) * 1e3:.3f} ms.",
        f"One decision in process with an instant orchestrator (prompt built, answer parsed, "
        f"session stored; 1.7 KB system prompt): routed {cpu['routed'] * 1e6:.0f} µs, pinned "
        f"{cpu['pinned'] * 1e6:.0f} µs.",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
