"""Requests per second of the fake upstream on one core.

Starts `python -m plano_testkit` pinned to one core (`taskset -c 0`) and drives it from this
process pinned to another (`taskset -c 1`) with an aiohttp client at a fixed concurrency.

    uv run python bench/fake_upstream_rps.py [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import aiohttp

from plano_testkit import free_port

CHAT_BODY = json.dumps(
    {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "respond with exactly: pong"}],
    }
).encode()
STREAM_BODY = json.dumps(
    {
        "model": "gpt-4o-mini",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "Say something about the weather today."}],
    }
).encode()
MESSAGES_STREAM_BODY = json.dumps(
    {
        "model": "claude-sonnet-4",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "Say something about the weather today."}],
    }
).encode()
SCENARIOS = {
    "chat_json": ("/v1/chat/completions", CHAT_BODY),
    "chat_sse": ("/v1/chat/completions", STREAM_BODY),
    "messages_sse": ("/v1/messages", MESSAGES_STREAM_BODY),
}


def pin(core: int) -> list[str]:
    """A `taskset` prefix pinning a command to one core (empty when taskset is missing)."""
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fake_process(port: int, core: int) -> Iterator[int]:
    """Run the fake upstream in a child process pinned to `core`; yields its pid."""
    command = [*pin(core), sys.executable, "-m", "plano_testkit", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()
        yield process.pid
    finally:
        process.terminate()
        process.wait(10)


async def drive(url: str, body: bytes, seconds: float, concurrency: int) -> tuple[int, float]:
    """Send requests for `seconds` from `concurrency` workers; (completed, elapsed)."""
    done = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"content-type": "application/json"}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def once() -> None:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                assert response.status == 200

        for _ in range(concurrency):
            await once()
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await once()
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done, time.perf_counter() - start


def pin_self(core: int) -> Callable[[], None]:
    """Pin this process to `core`; returns a function restoring the previous affinity."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    return lambda: os.sched_setaffinity(0, previous)


def main() -> None:
    """Measure each scenario and print one line per scenario."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    args = parser.parse_args()
    port = free_port()
    restore = pin_self(1)
    try:
        with fake_process(port, core=0) as pid:
            for name in args.scenario or list(SCENARIOS):
                path, body = SCENARIOS[name]
                url = f"http://127.0.0.1:{port}{path}"
                cpu_before = cpu_seconds(pid)
                completed, elapsed = asyncio.run(drive(url, body, args.seconds, args.concurrency))
                busy = (cpu_seconds(pid) - cpu_before) / elapsed
                print(
                    f"{name:14s} {completed / elapsed:8.0f} req/s"
                    f"  fake CPU {busy:4.0%}  -> {completed / elapsed / max(busy, 0.01):8.0f}"
                    f" req/s per fully used core  ({completed} in {elapsed:.1f}s,"
                    f" concurrency {args.concurrency})"
                )
    finally:
        restore()


if __name__ == "__main__":
    main()
