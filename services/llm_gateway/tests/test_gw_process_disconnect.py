"""Under the Plano server (a real process), a client that leaves cancels its request at once:
the upstream is let go and the request is logged as 499 `client_closed`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from plano_testkit import run_service
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.recording import Outcome
from plano_testkit.reply import Reply
from plano_testkit.services import RunningService

WORDS = " ".join(f"w{i}" for i in range(300))


@pytest.fixture(scope="module")
def service(fake_upstream: FakeUpstream, gateway_config: Any) -> Iterator[RunningService]:
    config = gateway_config(
        fake_upstream.url, {"openai/gpt-4o-mini": "sk-upstream"}, default="openai/gpt-4o-mini"
    )
    with run_service("llm_gateway", config, env={"PLANO_ACCESS_LOG": "stderr"}) as running:
        yield running


def _request(request_id: str, stream: bool) -> bytes:
    body = json.dumps(
        {"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": "x"}]}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
        f"x-request-id: {request_id}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _leave_mid_stream(port: int, request_id: str) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_request(request_id, stream=True))
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    received = b""
    while received.count(b"data:") < 3:
        received += await asyncio.wait_for(reader.read(4096), 10)
    writer.transport.abort()
    return time.monotonic()


async def _leave_before_the_answer(port: int, request_id: str) -> float:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_request(request_id, stream=False))
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.transport.abort()
    return time.monotonic()


def _logged_line(service: RunningService, request_id: str) -> dict[str, Any]:
    service.wait_for_log(f'"request_id":"{request_id}"')
    for line in service.stderr_text().splitlines():
        if f'"request_id":"{request_id}"' in line:
            entry: dict[str, Any] = json.loads(line[line.index("{") :])
            return entry
    raise AssertionError(f"no access-log line for {request_id}")


def test_gw_process_client_leaving_mid_stream_lets_the_upstream_go_and_logs_499(
    service: RunningService, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text=WORDS, chunk_gap=0.02))
    left_at = asyncio.run(_leave_mid_stream(service.port, "process-leaves-mid-stream"))
    record = fake_upstream.last_request
    assert record.wait_done_sync(1.0), "upstream still streaming 1 s after the client left"
    assert record.outcome is Outcome.CLIENT_DISCONNECTED
    assert record.disconnected_at is not None and record.disconnected_at - left_at < 1.0
    entry = _logged_line(service, "process-leaves-mid-stream")
    assert (entry["status"], entry["error"]) == (499, "client_closed")


def test_gw_process_client_leaving_before_the_answer_logs_499(
    service: RunningService, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text="late", first_byte_delay=5))
    left_at = asyncio.run(_leave_before_the_answer(service.port, "process-leaves-early"))
    record = fake_upstream.last_request
    assert record.wait_done_sync(1.0), "upstream still waited on 1 s after the client left"
    assert record.disconnected_at is not None and record.disconnected_at - left_at < 1.0
    entry = _logged_line(service, "process-leaves-early")
    assert (entry["status"], entry["error"]) == (499, "client_closed")
