"""Overhead of one HTTP filter and one MCP filter on brightstaff's model listener.

    uv run python bench/bench_filters.py            # ~1 minute
    uv run python bench/bench_filters.py --quick    # smoke run

Processes: a fake upstream (brightstaff's egress points straight at it), a filter server
(the official MCP SDK in JSON reply mode, plus plain HTTP filters), and brightstaff with three
model listeners: no filter, one HTTP input filter (``echo``), one MCP input filter (``echo``).
At concurrency 1 and 16 the driver measures request latency on each listener and the latency
of calling the filter directly (HTTP: the same POST; MCP: ``tools/call`` on an open session).
The overhead of a filter is its listener's latency minus the plain listener's, minus the
filter's own time (per percentile; p99 differences are approximate). The table is written to
bench/results/filters.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from plano_testkit import free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "filters.md"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]}
Call = Callable[[aiohttp.ClientSession], Awaitable[None]]


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def config(ports: dict[str, int], filters: str) -> str:
    return f"""version: v0.4.0
listeners:
  - {{type: model, name: plain, address: 127.0.0.1, port: {ports["plain"]}}}
  - {{type: model, name: http, address: 127.0.0.1, port: {ports["http"]},
      input_filters: [echo_http]}}
  - {{type: model, name: mcp, address: 127.0.0.1, port: {ports["mcp"]},
      input_filters: [echo_mcp]}}
model_providers:
  - {{model: openai/gpt-4o-mini, access_key: k, default: true}}
filters:
  - {{id: echo_http, url: "{filters}/http/echo", type: http}}
  - {{id: echo_mcp, url: "{filters}", tool: echo}}
"""


def post_to(url: str) -> Call:
    async def call(session: aiohttp.ClientSession) -> None:
        async with session.post(url, json=BODY) as response:
            await response.read()
            assert response.status == 200, response.status

    return call


async def mcp_direct(base: str, session: aiohttp.ClientSession) -> Call:
    """A ``tools/call`` on a session opened once (what brightstaff does per request)."""
    url = base + "/mcp"
    accept = {"accept": "application/json, text/event-stream"}
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2024-11-05",
            "capabilities": {},
            "clientInfo": {"name": "b", "version": "1"},
        },
    }
    async with session.post(url, json=init, headers=accept) as response:
        sid = response.headers["mcp-session-id"]
        await response.read()
    headers = {**accept, "mcp-session-id": sid}
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    async with session.post(url, json=note, headers=headers) as response:
        await response.read()
    arguments = {"body": BODY, "path": "/v1/chat/completions"}
    ids = itertools.count(1)

    async def call(s: aiohttp.ClientSession) -> None:
        message = {
            "jsonrpc": "2.0",
            "id": next(ids),
            "method": "tools/call",
            "params": {"name": "echo", "arguments": arguments},
        }
        async with s.post(url, json=message, headers=headers) as response:
            await response.read()

    return call


async def measure(call: Call, concurrency: int, count: int) -> list[float]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(20):
            await call(session)
        latencies: list[float] = []
        left = count

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                started = time.perf_counter()
                await call(session)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run(quick: bool) -> str:
    counts = {1: 150 if quick else 600, 16: 400 if quick else 3200}
    fake_port, filter_port = free_port(), free_port()
    ports = {name: free_port() for name in ("plain", "http", "mcp", "internal")}
    filters = f"http://127.0.0.1:{filter_port}"
    procs = [
        spawn(["-m", "plano_testkit", "--port", str(fake_port), "--text", "hi"]),
        spawn(
            ["-m", "plano_testkit.filter_servers", "--port", str(filter_port), "--mcp-mode", "json"]
        ),
    ]
    workdir = tempfile.mkdtemp()
    path = Path(workdir) / "config.yaml"
    path.write_text(config(ports, filters))
    env = {"LLM_PROVIDER_ENDPOINT": f"http://127.0.0.1:{fake_port}", "PLANO_ACCESS_LOG": "off"}
    args = ["-m", "brightstaff", "--config", str(path), "--port", str(ports["internal"])]
    procs.append(spawn(args, env))
    try:
        await wait_up(f"http://127.0.0.1:{fake_port}/healthz")
        await wait_up(filters + "/healthz")
        await wait_up(f"http://127.0.0.1:{ports['internal']}/healthz")
        async with aiohttp.ClientSession() as session:
            mcp_call = await mcp_direct(filters, session)
            rows = []
            for concurrency, count in counts.items():
                got = {}
                for name in ("plain", "http", "mcp"):
                    url = f"http://127.0.0.1:{ports[name]}/v1/chat/completions"
                    got[name] = await measure(post_to(url), concurrency, count)
                    print(
                        f"c={concurrency} {name}: {pct(got[name], 0.5):.2f} ms p50", file=sys.stderr
                    )
                got["http_direct"] = await measure(
                    post_to(filters + "/http/echo/v1/chat/completions"), concurrency, count
                )
                got["mcp_direct"] = await measure(mcp_call, concurrency, count)
                rows.append((concurrency, got))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
    return table(rows, quick)


def table(rows: list[tuple[int, dict[str, list[float]]]], quick: bool) -> str:
    lines = [
        "# Filter overhead on the model listener",
        "",
        f"`uv run python bench/bench_filters.py{' --quick' if quick else ''}` — shared 2-core "
        "machine (other work running), all processes on loopback. Milliseconds.",
        "",
        "| c | plain p50 | plain p99 | filter | listener p50 | listener p99 | filter alone p50 "
        "| filter alone p99 | overhead p50 | overhead p99 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for concurrency, got in rows:
        base50, base99 = pct(got["plain"], 0.5), pct(got["plain"], 0.99)
        for kind in ("http", "mcp"):
            l50, l99 = pct(got[kind], 0.5), pct(got[kind], 0.99)
            d50, d99 = pct(got[f"{kind}_direct"], 0.5), pct(got[f"{kind}_direct"], 0.99)
            lines.append(
                f"| {concurrency} | {base50:.2f} | {base99:.2f} | {kind} | {l50:.2f} | {l99:.2f} "
                f"| {d50:.2f} | {d99:.2f} | {l50 - base50 - d50:.2f} | {l99 - base99 - d99:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    text = asyncio.run(run(args.quick))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    print(json.dumps({"written": str(RESULTS)}))


if __name__ == "__main__":
    main()
