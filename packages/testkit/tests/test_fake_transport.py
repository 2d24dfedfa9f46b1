"""The fake's HTTP behavior: recording, scripting order, errors, connection lifecycle, runners."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from plano_testkit import FakeUpstream, Outcome, Reply, WireApi
from plano_testkit.raw_client import post
from plano_testkit.services import free_port

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "respond with exactly: hi"}]}
STREAM = {**CHAT, "stream": True}


@pytest.fixture
async def fake() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_records_every_request_detail(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    url = f"{fake.url}/prefix/v1/chat/completions?trace=1&x=y"
    async with session.post(url, json=CHAT, headers={"X-Custom": "abc"}) as response:
        assert response.status == 200
        assert response.headers["x-request-id"] == "req_fake000000"
        await response.read()
    (request,) = fake.requests
    assert request.method == "POST"
    assert request.path == "/prefix/v1/chat/completions"
    assert request.query == {"trace": "1", "x": "y"}
    assert request.headers["x-custom"] == "abc"
    assert request.json == CHAT
    assert request.body.startswith(b"{")
    assert request.api is WireApi.CHAT
    assert request.model == "gpt-4o"
    assert request.outcome is Outcome.COMPLETED
    assert request.finished_at is not None and request.finished_at >= request.received_at


async def test_queue_then_default(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.enqueue(Reply(text="first"), Reply(text="second"))
    fake.default_reply = Reply(text="default")
    texts = []
    for _ in range(3):
        async with session.post(fake.url + "/v1/chat/completions", json=CHAT) as response:
            texts.append((await response.json())["choices"][0]["message"]["content"])
    assert texts == ["first", "second", "default"]
    assert fake.queued == 0


async def test_unknown_path_and_wrong_method(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    async with session.post(fake.url + "/v1/embeddings", json={}) as response:
        assert response.status == 404
        assert "no fake endpoint" in (await response.json())["error"]["message"]
    async with session.get(fake.url + "/v1/chat/completions") as response:
        assert response.status == 405
    async with session.get(fake.url + "/healthz") as response:
        assert response.status == 200
    assert len(fake.requests) == 2  # health checks are not recorded


async def test_invalid_json_gets_provider_shaped_400(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    async with session.post(fake.url + "/v1/messages", data=b"{not json") as response:
        assert response.status == 400
        body = await response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert fake.last_request.json is None


async def test_verbatim_body_and_extra_headers(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    fake.enqueue(
        Reply(
            status=502,
            body=b"<html>bad gateway</html>",
            content_type="text/html",
            headers={"retry-after": "3"},
        )
    )
    async with session.post(fake.url + "/v1/chat/completions", json=CHAT) as response:
        assert response.status == 502
        assert response.headers["content-type"] == "text/html"
        assert response.headers["retry-after"] == "3"
        assert await response.read() == b"<html>bad gateway</html>"


async def test_error_type_override(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    fake.enqueue(Reply.error(400, "context too long", error_type="context_length_exceeded"))
    async with session.post(fake.url + "/v1/chat/completions", json=CHAT) as response:
        error = (await response.json())["error"]
    assert error == {
        "message": "context too long",
        "type": "context_length_exceeded",
        "param": None,
        "code": None,
    }


async def test_client_disconnect_mid_stream_is_recorded(fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="many words " * 50, chunk_gap=0.05))
    async with aiohttp.ClientSession() as client:
        response = await client.post(fake.url + "/v1/chat/completions", json=STREAM)
        first = await response.content.readline()
        assert first.startswith(b"data: ")
        assert fake.open_connections == 1
        response.close()
    request = fake.last_request
    assert await request.wait_done()
    assert request.outcome is Outcome.CLIENT_DISCONNECTED
    assert request.client_disconnected
    assert request.disconnected_at is not None
    await fake.wait_for_open_connections(0)


async def test_disconnect_during_first_byte_delay(fake: FakeUpstream) -> None:
    fake.enqueue(Reply(first_byte_delay=30))
    async with aiohttp.ClientSession() as client:
        task = asyncio.create_task(client.post(fake.url + "/v1/chat/completions", json=CHAT))
        (request,) = await fake.wait_for_requests(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await request.wait_done()
    assert request.outcome is Outcome.CLIENT_DISCONNECTED


async def test_keep_alive_reuses_one_connection(fake: FakeUpstream) -> None:
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as client:
        for body in (CHAT, STREAM, CHAT):
            async with client.post(fake.url + "/v1/chat/completions", json=body) as response:
                await response.read()
    assert fake.total_connections == 1
    assert [r.outcome for r in fake.requests] == [Outcome.COMPLETED] * 3


async def test_chunked_request_body(fake: FakeUpstream, session: aiohttp.ClientSession) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield b'{"model": "m", "messages": [{"role": "user",'
        yield b' "content": "respond with exactly: chunked"}]}'

    async with session.post(fake.url + "/v1/chat/completions", data=pieces()) as response:
        body = await response.json()
    assert fake.last_request.headers.get("transfer-encoding") == "chunked"
    assert body["choices"][0]["message"]["content"] == "chunked"


async def test_pipelined_requests_answered_in_order(fake: FakeUpstream) -> None:
    fake.enqueue(Reply(text="first", chunk_gap=0.01), Reply(text="second"))
    payload = b'{"model": "m", "messages": []}'
    one = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%b"
    reader, writer = await asyncio.open_connection(fake.host, fake.port)
    writer.write(one % (len(payload), payload) * 2)
    await writer.drain()
    await fake.wait_for_requests(2)
    raw = b""
    while raw.count(b'"system_fingerprint":"fp_fake"}') < 2:
        raw += await reader.read(65536)
    writer.close()
    assert raw.index(b'"content":"first"') < raw.index(b'"content":"second"')


async def test_large_body_with_expect_continue(fake: FakeUpstream) -> None:
    big = "x" * (3 << 20)
    body = {"model": "m", "messages": [{"role": "user", "content": big}]}
    async with aiohttp.ClientSession() as client:
        url = fake.url + "/v1/chat/completions"
        async with client.post(url, json=body, expect100=True) as response:
            assert response.status == 200
            await response.read()
    assert fake.last_request.headers["expect"] == "100-continue"
    assert fake.last_request.json == body


async def test_first_byte_delay_and_gaps_still_deliver(
    fake: FakeUpstream, session: aiohttp.ClientSession
) -> None:
    fake.enqueue(Reply(text="slow but sure", first_byte_delay=0.02, chunk_gap=0.01))
    async with session.post(fake.url + "/v1/chat/completions", json=STREAM) as response:
        raw = await response.read()
    assert raw.endswith(b"data: [DONE]\n\n")
    assert fake.last_request.writes_sent > 3


def test_thread_runner_with_sync_client() -> None:
    with FakeUpstream() as fake:
        fake.enqueue(Reply(text="from a thread"))
        response = post(fake.url + "/v1/chat/completions", CHAT)
        assert response.json()["choices"][0]["message"]["content"] == "from a thread"
        assert fake.wait_for_requests_sync(1)[0].wait_done_sync()


def test_command_line_process() -> None:
    port = free_port()
    command = [sys.executable, "-m", "plano_testkit", "--port", str(port), "--text", "cli"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert (
            process.stdout.readline().strip()
            == f"fake upstream listening on http://127.0.0.1:{port}"
        )
        response = post(f"http://127.0.0.1:{port}/v1/chat/completions", CHAT)
        assert response.json()["choices"][0]["message"]["content"] == "cli"
    finally:
        process.terminate()
        assert process.wait(10) == 0
