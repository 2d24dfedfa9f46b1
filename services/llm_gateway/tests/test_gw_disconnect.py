"""Client disconnects cancel upstream requests; a storm of them leaks nothing."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.recording import Outcome
from plano_testkit.reply import Reply

WORDS = " ".join(f"w{i}" for i in range(300))


PROVIDERS = {
    "openai/gpt-4o-mini": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0": "bedrock-key",
}


@pytest.fixture(scope="module")
def gateway(fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any) -> Any:
    fake_upstream.default_reply = Reply(text="ok fine")
    return start_gateway(gateway_config(fake_upstream.url, PROVIDERS, default="openai/gpt-4o-mini"))


def raw_request(path: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer sk-c\r\ncontent-length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def read_response(reader: asyncio.StreamReader) -> bytes:
    """Read one full HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lowered = head.lower()
    if b"transfer-encoding: chunked" in lowered:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return head + body
            body += chunk[:-2]
    length = int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
    return head + await reader.readexactly(length)


def test_gw_disconnect_mid_stream_closes_the_upstream_within_a_second(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text=WORDS, chunk_gap=0.02))

    async def run() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        body = {
            "model": "gpt-4o-mini",
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        }
        writer.write(raw_request("/v1/chat/completions", body))
        await reader.readuntil(b"\r\n\r\n")
        received = b""
        while received.count(b"data:") < 3:
            received += await reader.read(4096)
        writer.transport.abort()
        return time.monotonic()

    left_at = asyncio.run(run())
    record = fake_upstream.last_request
    assert record.wait_done_sync(1.0), "upstream still streaming 1 s after the client left"
    assert record.outcome is Outcome.CLIENT_DISCONNECTED
    assert record.disconnected_at is not None and record.disconnected_at - left_at < 1.0
    assert gateway.wait_metric("llm_gateway_in_flight_requests", None, 0) == 0


async def _task_count() -> int:
    return len(asyncio.all_tasks())


async def _task_summary() -> dict[str, int]:
    summary: dict[str, int] = {}
    for task in asyncio.all_tasks():
        name = task.get_coro().__qualname__  # type: ignore[union-attr]
        summary[name] = summary.get(name, 0) + 1
    return summary


def test_gw_a_thousand_mixed_requests_with_disconnects_leak_nothing(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    rng = random.Random(7)
    baseline_tasks = gateway.call(_task_count())
    models = ["gpt-4o-mini", "claude-sonnet-4-20250514", "anthropic.claude-3-haiku-20240307-v1:0"]
    paths = ["/v1/chat/completions", "/v1/messages"]
    outcomes = {"complete": 0, "cut": 0}

    async def one(index: int) -> None:
        model = rng.choice(models)
        path = rng.choice(paths)
        stream = rng.random() < 0.6
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": 50,
            "stream": stream,
            "messages": [{"role": "user", "content": f"request {index}"}],
        }
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        try:
            writer.write(raw_request(path, body))
            mode = rng.random()
            if mode < 0.5:
                response = await asyncio.wait_for(read_response(reader), 10)
                assert b" 200 " in response.split(b"\r\n")[0]
                outcomes["complete"] += 1
            else:
                await asyncio.sleep(rng.random() * 0.05)
                outcomes["cut"] += 1
        finally:
            writer.transport.abort()

    async def storm() -> None:
        semaphore = asyncio.Semaphore(40)

        async def bounded(index: int) -> None:
            async with semaphore:
                await one(index)

        await asyncio.gather(*(bounded(i) for i in range(1000)))

    slow = Reply(text=WORDS[:400], chunk_gap=0.002)
    fake_upstream.default_reply = slow
    try:
        asyncio.run(storm())
    finally:
        fake_upstream.default_reply = Reply(text="ok fine")
    assert outcomes["complete"] > 300 and outcomes["cut"] > 300
    assert gateway.wait_metric("llm_gateway_in_flight_requests", None, 0, timeout=10) == 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pending = [r for r in fake_upstream.requests if not r.is_done]
        tasks = gateway.call(_task_count())
        if not pending and tasks <= baseline_tasks:
            break
        time.sleep(0.05)
    assert pending == []
    assert tasks <= baseline_tasks, gateway.call(_task_summary())
    assert fake_upstream.open_connections == gateway.app.transport.open_connections()
