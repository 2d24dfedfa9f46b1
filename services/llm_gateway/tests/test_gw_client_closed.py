"""A client that disconnects is recorded as 499 `client_closed`, mid-stream included."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from llm_gateway.access_log import AccessLog
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

WORDS = " ".join(f"w{i}" for i in range(300))
PROVIDERS = {"openai/gpt-4o-mini": "sk-openai"}


@pytest.fixture(scope="module")
def sink() -> io.StringIO:
    return io.StringIO()


@pytest.fixture(scope="module")
def gateway(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any, sink: io.StringIO
) -> Any:
    config = gateway_config(fake_upstream.url, PROVIDERS, default="openai/gpt-4o-mini")
    return start_gateway(config, access_log=AccessLog(sink))


def _request(port: int, request_id: str, stream: bool) -> bytes:
    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "stream": stream,
            "messages": [{"role": "user", "content": "x"}],
        }
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"content-type: application/json\r\nx-request-id: {request_id}\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _leave_mid_stream(port: int, request_id: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_request(port, request_id, stream=True))
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    received = b""
    while received.count(b"data:") < 3:
        received += await asyncio.wait_for(reader.read(4096), 10)
    writer.transport.abort()


async def _leave_before_the_answer(port: int, request_id: str) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_request(port, request_id, stream=False))
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.transport.abort()


def _entry(gateway: Any, sink: io.StringIO, request_id: str) -> dict[str, Any]:
    gateway.wait_metric("llm_gateway_in_flight_requests", None, 0, timeout=10)
    gateway.call(_flush(gateway))
    entries = [json.loads(line) for line in sink.getvalue().splitlines()]
    (entry,) = [e for e in entries if e["request_id"] == request_id]
    return entry


async def _flush(gateway: Any) -> None:
    gateway.app.access_log.flush()


def test_gw_disconnect_mid_stream_is_logged_as_499_client_closed(
    gateway: Any, fake_upstream: FakeUpstream, sink: io.StringIO
) -> None:
    labels = {"provider": "openai/gpt-4o-mini", "model": "gpt-4o-mini", "status": "499"}
    before = gateway.metric("llm_gateway_requests_total", labels)
    fake_upstream.enqueue(Reply(text=WORDS, chunk_gap=0.02))
    asyncio.run(_leave_mid_stream(gateway.port, "leaves-mid-stream"))
    entry = _entry(gateway, sink, "leaves-mid-stream")
    assert entry["status"] == 499
    assert entry["error"] == "client_closed"
    assert gateway.wait_metric("llm_gateway_requests_total", labels, before + 1) == before + 1


def test_gw_disconnect_before_the_answer_is_logged_as_499_client_closed(
    gateway: Any, fake_upstream: FakeUpstream, sink: io.StringIO
) -> None:
    fake_upstream.enqueue(Reply(text="late", first_byte_delay=5))
    asyncio.run(_leave_before_the_answer(gateway.port, "leaves-early"))
    entry = _entry(gateway, sink, "leaves-early")
    assert entry["status"] == 499
    assert entry["error"] == "client_closed"


def test_gw_completed_stream_stays_200(
    gateway: Any, fake_upstream: FakeUpstream, sink: io.StringIO
) -> None:
    fake_upstream.enqueue(Reply(text="short answer"))
    client = gateway.openai_sdk()
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "x"}],
        stream=True,
        extra_headers={"x-request-id": "stays"},
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    entry = _entry(gateway, sink, "stays")
    assert entry["status"] == 200
    assert "error" not in entry
