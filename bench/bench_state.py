"""Added latency of a stateful Responses turn over the same turn sent stateless.

    uv run python bench/bench_state.py                # ~1.5 minutes
    uv run python bench/bench_state.py --requests 100 # quicker, noisier

Chain: this driver → brightstaff model listener → llm-gateway → fake upstream (Anthropic wire,
fixed reply). Four brightstaff processes share one llm-gateway:

- stateless: no `state_storage`; the client sends the whole history in `input`;
- memory / postgres: `state_storage` of that type; the client sends `previous_response_id` and
  only the new message. The upstream receives the same request in every case, so the
  difference is the state step: one store read, the merge, one store write. PostgreSQL's
  replica keeps recent conversations in memory (`cache_mb`, the default), so the read of a
  conversation it stored itself is served from there, as a follow-up on the replica that
  served the previous turn is;
- postgres-nocache: the same with `cache_mb: 0`: every read goes to the database, as the
  first follow-up on another replica does.

Each variant's turns continue the same 4-turn base conversation. At concurrency 1 the variants
are interleaved request by request (so machine noise hits all alike); at concurrency 16 each
variant runs a batch in turn, in a random order, thirty rounds after one unmeasured round (ten
times the c=1 count in all, so each variant's sample spans seconds, not one slow spell of the
machine).
Reported: p50/p99 of the whole non-streamed request and of the time to the first text delta of
a streamed one, and the difference to stateless. A second table times the step alone
in-process (prepare + capture of the reply) on both stores. PostgreSQL is the machine's test
database (`PLANO_TEST_DATABASE_URL`), in a private schema dropped at the end. The machine may be
shared with other work: compare the variants of one run, not runs with each other. The table
is written to bench/results/state.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import (
    DRIVER_CORE,
    PROXY_CORE,
    VENV_BIN,
    free_port,
    process,
    wait_http,
)

from brightstaff.seams import LlmRequest
from brightstaff.state import MemoryStore, PostgresStore, ResponsesState, StateStore
from hermesllm.apis import ClientApi
from hermesllm.provider_ids import ProviderId

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "state.md"
MODEL = "claude-sonnet-4-5"
REPLY = (
    "The fake upstream answers with this fixed sentence of about twenty words, "
    "enough to be a realistic short reply."
)
BASE_TURNS = 4
VARIANTS = ("stateless", "memory", "postgres", "postgres-nocache")
STATEFUL = VARIANTS[1:]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"


def config(fake_port: int, gateway_port: int, model_port: int, storage: str) -> str:
    """One brightstaff (and the llm-gateway) config: an Anthropic provider at the fake."""
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
    timeout: 30s
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
  - model: anthropic/{MODEL}
    access_key: sk-bench
    base_url: http://127.0.0.1:{fake_port}
    default: true
{storage}"""


def with_search_path(url: str, schema: str) -> str:
    """`url` whose sessions use `schema`."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"-csearch_path={schema}"
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextlib.contextmanager
def private_schema(database_url: str) -> Iterator[str]:
    """A fresh schema's URL; the schema is dropped on exit."""
    schema = f"bench_state_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_search_path(database_url, schema)
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


class Driver:
    """Sends turns to the three model listeners over keep-alive connections."""

    def __init__(self, session: aiohttp.ClientSession, urls: dict[str, str]) -> None:
        self.session = session
        self.urls = urls
        self.base_ids: dict[str, str] = {}
        history: list[dict[str, Any]] = []
        for turn in range(BASE_TURNS):
            history += [user(f"Base question {turn}?"), assistant(REPLY)]
        self.history = history

    def body(self, variant: str, stream: bool) -> bytes:
        new = user("And one more question?")
        if variant == "stateless":
            body: dict[str, Any] = {"model": MODEL, "input": [*self.history, new]}
        else:
            body = {"model": MODEL, "input": [new], "previous_response_id": self.base_ids[variant]}
        body["stream"] = stream
        return json.dumps(body).encode()

    async def prepare(self) -> None:
        """Build the base conversation on each stateful listener."""
        for variant in STATEFUL:
            previous: str | None = None
            for turn in range(BASE_TURNS):
                body: dict[str, Any] = {"model": MODEL, "input": f"Base question {turn}?"}
                if previous:
                    body["previous_response_id"] = previous
                async with self.session.post(self.urls[variant], json=body) as response:
                    assert response.status == 200, await response.text()
                    previous = (await response.json())["id"]
            assert previous is not None
            self.base_ids[variant] = previous

    async def whole(self, variant: str) -> float:
        """Seconds of one non-streamed turn."""
        started = time.perf_counter()
        async with self.session.post(
            self.urls[variant], data=self.body(variant, False)
        ) as response:
            await response.read()
            assert response.status == 200, response.status
        return time.perf_counter() - started

    async def first_delta(self, variant: str) -> float:
        """Seconds to the first text delta of one streamed turn (the stream is read to its end)."""
        started = time.perf_counter()
        seen: float | None = None
        async with self.session.post(self.urls[variant], data=self.body(variant, True)) as response:
            assert response.status == 200, response.status
            async for chunk in response.content.iter_any():
                if seen is None and b"response.output_text.delta" in chunk:
                    seen = time.perf_counter() - started
        assert seen is not None
        return seen


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Sampler = Callable[[str], Awaitable[float]]


async def interleaved(sample: Sampler, count: int) -> dict[str, list[float]]:
    """Concurrency 1: every round sends one turn of each variant, in a random order."""
    out: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(count):
        order = list(VARIANTS)
        random.shuffle(order)
        for variant in order:
            out[variant].append(await sample(variant))
    return out


class CpuMeter:
    """CPU seconds spent during each variant's batches by its brightstaff process and by the
    PostgreSQL server, when it runs on this machine (processes named `postgres`). The signals
    worker is left out: it runs at idle priority, so its work lands in whichever batch leaves
    the core idle, not in the one that queued it."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.seconds: dict[str, list[float]] = {v: [0.0, 0.0] for v in VARIANTS}

    @contextlib.contextmanager
    def measure(self, variant: str) -> Iterator[None]:
        own = Path(f"/proc/{self.pids[variant]}")
        start = process_cpu_seconds(own), postgres_cpu_seconds()
        yield
        self.seconds[variant][0] += process_cpu_seconds(own) - start[0]
        self.seconds[variant][1] += postgres_cpu_seconds() - start[1]


def process_cpu_seconds(entry: Path) -> float:
    """User + system CPU seconds of the process at /proc/<pid> (0 once it is gone)."""
    with contextlib.suppress(OSError):
        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def postgres_cpu_seconds() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += process_cpu_seconds(entry)
    return total


async def batches(
    sample: Sampler,
    count: int,
    concurrency: int,
    rounds: int = 30,
    meter: CpuMeter | None = None,
) -> dict[str, list[float]]:
    """Concurrency N: each variant in turn, in a random order, runs `count / rounds` turns on N
    workers, `rounds` times (short rounds, so a slow spell of the machine falls on every
    variant)."""
    out: dict[str, list[float]] = {v: [] for v in VARIANTS}
    per_round = max(concurrency, count // rounds)
    for _ in range(rounds):
        order = list(VARIANTS)
        random.shuffle(order)
        for variant in order:
            remaining = per_round

            async def worker(name: str = variant) -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    out[name].append(await sample(name))

            with meter.measure(variant) if meter else contextlib.nullcontext():
                await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


def added_rows(label: str, samples: dict[str, list[float]]) -> list[str]:
    base50, base99 = percentile(samples["stateless"], 0.5), percentile(samples["stateless"], 0.99)
    rows = []
    for variant in VARIANTS:
        p50, p99 = percentile(samples[variant], 0.5), percentile(samples[variant], 0.99)
        added = (
            ""
            if variant == "stateless"
            else f"{(p50 - base50) * 1e3:+.2f} | {(p99 - base99) * 1e3:+.2f}"
        )
        measured = f"{len(samples[variant])} | {p50 * 1e3:.2f} | {p99 * 1e3:.2f}"
        rows.append(f"| {label} | {variant} | {measured} | {added or '— | —'} |")
    return rows


async def step_cost(store: StateStore, count: int, concurrency: int) -> tuple[float, float]:
    """p50/p99 seconds of the state step alone: prepare (load + merge) + capture (store)."""
    state = ResponsesState(store, {"claude": ProviderId.ANTHROPIC})
    await state.start()
    reply = {"id": "resp_base", "status": "completed", "output": [assistant(REPLY) | {"id": "m"}]}
    turn = await state.prepare(request({"input": "Base question?"}))
    assert turn is not None
    await turn.on_response_body(json.dumps(reply).encode())
    samples: list[float] = []
    remaining = 0

    async def worker(record: bool) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            turn = await state.prepare(
                request({"input": "more?", "previous_response_id": "resp_base"})
            )
            assert turn is not None
            body = {**reply, "id": f"resp_{uuid.uuid4().hex}"}
            await turn.on_response_body(json.dumps(body).encode())
            if record:
                samples.append(time.perf_counter() - started)

    try:
        remaining = max(50, concurrency * 4)  # warm-up, which also fills the connection pool
        await asyncio.gather(*(worker(False) for _ in range(concurrency)))
        remaining = count
        await asyncio.gather(*(worker(True) for _ in range(concurrency)))
    finally:
        await state.close()
    return percentile(samples, 0.5), percentile(samples, 0.99)


def request(body: dict[str, Any]) -> LlmRequest:
    return LlmRequest(
        api=ClientApi.RESPONSES,
        path="/v1/responses",
        body=body,
        headers={},
        request_id="bench",
        requested_model=MODEL,
        model=MODEL,
        provider="claude",
        stream=False,
        listener="bench",
    )


async def end_to_end(
    urls: dict[str, str], count: int, meter: CpuMeter
) -> tuple[list[str], list[str]]:
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:
        driver = Driver(session, urls)
        await driver.prepare()
        await interleaved(driver.whole, 10)  # warm-up
        await batches(driver.whole, 100, 16, rounds=1)  # every variant's c=16 connections
        rows = added_rows("whole turn, c=1", await interleaved(driver.whole, count))
        whole = await batches(driver.whole, count * 10, 16, meter=meter)
        rows += added_rows("whole turn, c=16", whole)
        rows += added_rows("first text delta, c=1", await interleaved(driver.first_delta, count))
        rows += added_rows(
            "first text delta, c=16", await batches(driver.first_delta, count * 10, 16)
        )
    cpu_rows = []
    for variant in VARIANTS:
        turns = len(whole[variant])
        own, server = (seconds / turns * 1e6 for seconds in meter.seconds[variant])
        cpu_rows.append(f"| {variant} | {own:.0f} | {server:.0f} |")
    return rows, cpu_rows


async def in_process(database_url: str, count: int) -> list[str]:
    rows = []
    for concurrency in (1, 16):
        memory = MemoryStore(max_entries=100_000, ttl_seconds=3600)
        p50, p99 = await step_cost(memory, count * 3, concurrency)
        rows.append(f"| memory | {concurrency} | {p50 * 1e3:.3f} | {p99 * 1e3:.3f} |")
        for label, cache_bytes in (("postgres", 32 << 20), ("postgres-nocache", 0)):
            postgres = PostgresStore(database_url, timeout_seconds=5, cache_bytes=cache_bytes)
            p50, p99 = await step_cost(postgres, count * 3, concurrency)
            rows.append(f"| {label} | {concurrency} | {p50 * 1e3:.3f} | {p99 * 1e3:.3f} |")
    return rows


def run(args: argparse.Namespace, workdir: Path, database_url: str) -> str:
    fake_port, gateway_port = free_port(), free_port()
    storages = {
        "stateless": "",
        "memory": "state_storage:\n  type: memory\n",
        "postgres": f"state_storage:\n  type: postgres\n  connection_string: '{database_url}'\n",
        "postgres-nocache": f"state_storage:\n  type: postgres\n  cache_mb: 0\n"
        f"  connection_string: '{database_url}'\n",
    }
    ports = {variant: free_port() for variant in VARIANTS}
    env = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": "0"}
    fake = [str(VENV_BIN / "plano-fake-upstream"), "--port", str(fake_port), "--text", REPLY]
    with contextlib.ExitStack() as stack:
        stack.enter_context(process(fake, DRIVER_CORE, log=workdir / "fake.log"))
        wait_http(f"http://127.0.0.1:{fake_port}/healthz")
        configs = {}
        for variant in VARIANTS:
            path = workdir / f"{variant}.yaml"
            path.write_text(config(fake_port, gateway_port, ports[variant], storages[variant]))
            configs[variant] = path
        gateway = [str(VENV_BIN / "llm-gateway"), "--config", str(configs["stateless"])]
        gateway += ["--host", "127.0.0.1", "--port", str(gateway_port)]
        stack.enter_context(process(gateway, PROXY_CORE, env=env, log=workdir / "gateway.log"))
        pids: dict[str, int] = {}
        for variant in VARIANTS:
            command = [str(VENV_BIN / "brightstaff"), "--config", str(configs[variant])]
            command += ["--host", "127.0.0.1", "--port", str(free_port())]
            log = workdir / f"brightstaff-{variant}.log"
            pids[variant] = stack.enter_context(process(command, PROXY_CORE, env=env, log=log)).pid
        for variant in VARIANTS:
            wait_http(f"http://127.0.0.1:{ports[variant]}/healthz")
        wait_http(f"http://127.0.0.1:{gateway_port}/healthz")
        urls = {v: f"http://127.0.0.1:{ports[v]}/v1/responses" for v in VARIANTS}
        rows, cpu_rows = asyncio.run(end_to_end(urls, args.requests, CpuMeter(pids)))
    step_rows = asyncio.run(in_process(database_url, args.requests))
    return report(args, rows, cpu_rows, step_rows)


def report(
    args: argparse.Namespace, rows: list[str], cpu_rows: list[str], step_rows: list[str]
) -> str:
    load = os.getloadavg()
    return "\n".join(
        [
            "# Conversation state: added latency",
            "",
            f"`uv run python bench/bench_state.py --requests {args.requests}` — "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average at the end "
            f"{load[0]:.1f}/{load[1]:.1f} on {os.cpu_count()} cores (the machine is shared: "
            "compare rows of one run).",
            "",
            "End to end (ms): the same turn stateless (whole history inline) and stateful "
            f"(`previous_response_id`, {BASE_TURNS}-turn history).",
            "",
            "| measure | variant | n | p50 | p99 | added p50 | added p99 |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "CPU per whole turn at concurrency 16 (µs): the variant's brightstaff process (its "
            "idle-priority signals worker left out) and the PostgreSQL server when it runs on "
            "this machine. At this "
            "concurrency the core brightstaff shares with llm-gateway is about saturated, so "
            "16 times the added CPU is roughly the added latency.",
            "",
            "| variant | brightstaff | PostgreSQL server |",
            "|---|---:|---:|",
            *cpu_rows,
            "",
            "The state step alone, in-process (ms): load + merge + store of one turn.",
            "",
            "| store | concurrency | p50 | p99 |",
            "|---|---:|---:|---:|",
            *step_rows,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="turns per variant at c=1")
    args = parser.parse_args()
    database_url = os.environ.get("PLANO_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    with (
        tempfile.TemporaryDirectory(prefix="bench-state-") as tmp,
        private_schema(database_url) as url,
    ):
        table = run(args, Path(tmp), url)
    RESULTS.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
