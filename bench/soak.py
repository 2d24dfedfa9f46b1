"""Soak test: minutes of mixed hostile and normal traffic against a real llm-gateway process.

Starts the fake upstream and an llm-gateway process (its /metrics on a separate port), then
runs concurrent workers that each pick, per request: a normal chat completion or Anthropic
message, a fully read stream, a client that leaves mid-stream or before the answer, junk input
(invalid JSON or UTF-8, a NUL or a 200 KB model name, deep nesting, a body that is not an
object), or a wildcard model name never seen before. It samples the gateway's RSS, open file
descriptors, /metrics size and event-loop tasks once idle, after the warm-up, every minute and
at the end, and writes a markdown table (`bench/results/soak.md` by default).

    uv run python bench/soak.py --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from plano_testkit import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "soak.md"
REPLY_TEXT = " ".join(f"word{i}" for i in range(40))
MIXED = (
    ("chat", 25),
    ("messages", 10),
    ("stream", 20),
    ("leave_mid_stream", 10),
    ("leave_early", 5),
    ("junk", 15),
    ("wildcard_spray", 15),
)


def gateway_config(fake_port: int) -> str:
    base = f"http://127.0.0.1:{fake_port}"
    return (
        "version: v0.3.0\nlisteners:\n  - {type: model, name: egress, port: 12001, timeout: 30s}\n"
        "model_providers:\n"
        f"  - {{model: openai/gpt-4o-mini, access_key: sk-soak, base_url: {base}, default: true}}\n"
        "  - {model: anthropic/claude-sonnet-4-20250514, access_key: sk-soak, "
        f"base_url: {base}}}\n"
        f"  - {{model: 'openai/*', access_key: sk-soak, base_url: {base}}}\n"
    )


@dataclass
class Sample:
    """One measurement of the gateway process."""

    label: str
    elapsed: float
    rss_mb: float
    fds: int
    metrics_bytes: int
    loop_tasks: float


@dataclass
class Tally:
    """What the traffic got back, per kind of request."""

    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, outcome: str, expected: bool) -> None:
        self.outcomes[f"{kind} {outcome}"] += 1
        if not expected:
            self.unexpected[f"{kind} {outcome}"] += 1


def sample(label: str, started: float, pid: int, metrics_url: str) -> Sample:
    """RSS, fds, /metrics size and loop tasks of the gateway right now."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with urllib.request.urlopen(metrics_url, timeout=30) as response:
        body = response.read()
    tasks = 0.0
    for line in body.decode().splitlines():
        if line.startswith("llm_gateway_event_loop_tasks "):
            tasks = float(line.split()[1])
    return Sample(label, time.monotonic() - started, rss_kb / 1024, fds, len(body), tasks)


def _chat_body(model: str, stream: bool) -> dict[str, object]:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}


JUNK_BODIES: dict[str, bytes] = {
    "invalid_json": b"{not json",
    "not_an_object": b"[1, 2, 3]",
    "nul_in_model": b'{"model": "gpt\\u0000-4o", "messages": []}',
    "invalid_utf8": b'{"model": "\xff\xfe", "messages": [{"role": "user", "content": "\xc3"}]}',
    "deep_nesting": b'{"messages": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "huge_model_name": json.dumps({"model": "m" * 200_000, "messages": []}).encode(),
    "messages_not_a_list": b'{"model": "gpt-4o-mini", "messages": "not a list"}',
}


async def raw_exchange(port: int, body: bytes, read_events: int | None) -> str:
    """POST over a raw connection and leave: after `read_events` SSE events, or at once."""
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + body)
        if read_events is None:
            await asyncio.sleep(random.random() * 0.01)
            return "left"
        received = b""
        while received.count(b"data:") < read_events:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            if not chunk:
                return "closed_by_gateway"
            received += chunk
        return "left"
    finally:
        writer.transport.abort()


async def one_request(kind: str, session: aiohttp.ClientSession, port: int, tally: Tally) -> None:
    """Send one request of `kind` and tally its outcome."""
    url = f"http://127.0.0.1:{port}"
    if kind in ("leave_mid_stream", "leave_early"):
        body = json.dumps(_chat_body("gpt-4o-mini", True)).encode()
        outcome = await raw_exchange(port, body, 3 if kind == "leave_mid_stream" else None)
        tally.add(kind, outcome, outcome == "left")
        return
    if kind == "junk":
        name, data = random.choice(list(JUNK_BODIES.items()))
        headers = {"content-type": "application/json"}
        async with session.post(f"{url}/v1/chat/completions", data=data, headers=headers) as r:
            await r.read()
            tally.add(f"{kind} {name}", str(r.status), 400 <= r.status < 500)
        return
    if kind == "messages":
        payload: dict[str, object] = {
            "model": "claude-sonnet-4-20250514",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}],
        }
        path = "/v1/messages"
    elif kind == "wildcard_spray":
        payload = _chat_body(f"openai/spray-{uuid.uuid4().hex}", False)
        path = "/v1/chat/completions"
    else:
        payload = _chat_body("gpt-4o-mini", kind == "stream")
        path = "/v1/chat/completions"
    async with session.post(f"{url}{path}", json=payload) as response:
        data = await response.read()
        ok = response.status == 200 and (kind != "stream" or b"[DONE]" in data)
        tally.add(kind, str(response.status), ok)


async def worker(port: int, deadline: float, tally: Tally, weights: list[int]) -> None:
    kinds = [kind for kind, _ in MIXED]
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while time.monotonic() < deadline:
            kind = random.choices(kinds, weights)[0]
            try:
                await one_request(kind, session, port, tally)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                tally.add(kind, type(exc).__name__, False)


async def traffic(port: int, seconds: float, concurrency: int, tally: Tally) -> None:
    deadline = time.monotonic() + seconds
    weights = [weight for _, weight in MIXED]
    await asyncio.gather(*(worker(port, deadline, tally, weights) for _ in range(concurrency)))


def run_phases(args: argparse.Namespace, pid: int, port: int, metrics_url: str) -> list[Sample]:
    """Idle sample, warm-up, then one sample per minute of traffic and one at the end."""
    started = time.monotonic()
    samples = [sample("idle", started, pid, metrics_url)]
    tally = Tally()
    asyncio.run(traffic(port, args.warmup, args.concurrency, tally))
    samples.append(sample("after warm-up", started, pid, metrics_url))
    print(_row(samples[-1]), flush=True)
    remaining = args.minutes * 60
    minute = 0
    while remaining > 0:
        chunk = min(60.0, remaining)
        asyncio.run(traffic(port, chunk, args.concurrency, tally))
        remaining -= chunk
        minute += 1
        samples.append(sample(f"minute {minute}", started, pid, metrics_url))
        print(_row(samples[-1]), flush=True)
    time.sleep(2)
    samples.append(sample("end (idle, 2 s after)", started, pid, metrics_url))
    args.tally = tally
    return samples


def _row(s: Sample) -> str:
    return (
        f"| {s.label} | {s.elapsed:.0f} | {s.rss_mb:.1f} | {s.fds} | {s.metrics_bytes} "
        f"| {s.loop_tasks:.0f} |"
    )


def report(args: argparse.Namespace, samples: list[Sample]) -> str:
    tally: Tally = args.tally
    total = sum(tally.outcomes.values())
    warm, end = samples[1], samples[-1]
    lines = [
        "# llm-gateway soak",
        "",
        f"Command: `uv run python bench/soak.py --minutes {args.minutes:g} "
        f"--concurrency {args.concurrency}`  ",
        f"Machine: {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        "load driver, fake upstream and gateway on the same machine.  ",
        f"Mix (weights): {', '.join(f'{k} {w}' for k, w in MIXED)}.  ",
        f"Requests: {total} ({total / (end.elapsed or 1):.0f}/s).",
        "",
        "| sample | s | RSS MB | fds | /metrics bytes | loop tasks |",
        "|---|---|---|---|---|---|",
        *(_row(s) for s in samples),
        "",
        f"From warm-up to end: RSS {end.rss_mb - warm.rss_mb:+.1f} MB, "
        f"fds {end.fds - warm.fds:+d}, /metrics {end.metrics_bytes - warm.metrics_bytes:+d} bytes.",
        "",
        "| outcome | count |",
        "|---|---|",
        *(f"| {name} | {count} |" for name, count in sorted(tally.outcomes.items())),
        "",
        f"Unexpected outcomes: {sum(tally.unexpected.values())}"
        + (f" ({dict(tally.unexpected)})" if tally.unexpected else ""),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="traffic after warm-up")
    parser.add_argument("--warmup", type=float, default=30.0, help="warm-up seconds")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown result file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    fake_port, port, metrics_port = free_port(), free_port(), free_port()
    fake = subprocess.Popen(
        [
            str(VENV_BIN / "plano-fake-upstream"),
            "--port",
            str(fake_port),
            "--text",
            REPLY_TEXT,
            "--chunk-gap",
            "0.005",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "fake.log", "wb"),  # noqa: SIM115
    )
    config = workdir / "gateway.yaml"
    config.write_text(gateway_config(fake_port))
    env = {**os.environ, "PLANO_ACCESS_LOG": str(workdir / "access.log")}
    gateway = subprocess.Popen(
        [
            str(VENV_BIN / "llm-gateway"),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--metrics-port",
            str(metrics_port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gateway.log", "wb"),  # noqa: SIM115
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        _wait(f"http://127.0.0.1:{fake_port}/healthz")
        samples = run_phases(args, gateway.pid, port, f"http://127.0.0.1:{metrics_port}/metrics")
        text = report(args, samples)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        print(text)
    finally:
        for process in (gateway, fake):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        (workdir / "access.log").unlink(missing_ok=True)


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


if __name__ == "__main__":
    main()
