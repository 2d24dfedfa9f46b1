"""The egress HTTP/1.1 client: framing, pooling, flow control and failures, against a raw
asyncio server that answers each request with bytes the test chooses."""

from __future__ import annotations

import asyncio
import gzip
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from brightstaff.egress import Egress
from brightstaff.egress_http import (
    HIGH_WATER,
    EgressConnectError,
    EgressError,
    EgressPool,
    EgressResponse,
)
from brightstaff.settings import BrightstaffSettings
from plano_common.errors import BadGateway

Answer = Callable[[bytes], list[bytes]]
"""The writes answering one request (given its bytes); an empty write closes the connection."""


class Server:
    """A loopback server answering requests with canned writes; records what it received."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                for data in self.answer(request):
                    if not data:
                        writer.close()
                        return
                    writer.write(data)
                    await writer.drain()
                    await asyncio.sleep(0)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[Server]:
    server = Server(answer)
    listener = await asyncio.start_server(server._serve, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        await asyncio.sleep(0.05)
        listener.close()


def pool_for(server: Server, *, limit: int = 8) -> EgressPool:
    return EgressPool(
        f"http://127.0.0.1:{server.port}/prefix", limit=limit, connect_timeout=2, keepalive=60
    )


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def split_randomly(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    pieces, start = [], 0
    while start < len(data):
        stop = start + rng.randint(1, 9)
        pieces.append(data[start:stop])
        start = stop
    return pieces


async def post(pool: EgressPool, body: bytes = b"{}") -> tuple[EgressResponse, bytes]:
    response = await pool.request("/v1/chat/completions", {"x-request-id": "r1"}, body)
    data = await response.read()
    response.release()
    return response, data


async def test_request_is_one_http11_post_with_host_length_and_accept() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with serving(lambda _: [head]) as server:
        pool = pool_for(server)
        _, data = await post(pool, b'{"a":1}')
        pool.close()
    assert data == b"ok"
    request = server.requests[0]
    assert request.startswith(b"POST /prefix/v1/chat/completions HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in request
    assert b"x-request-id: r1\r\n" in request
    assert b"Accept: */*\r\n" in request
    assert request.endswith(b'Content-Length: 7\r\n\r\n{"a":1}')


@pytest.mark.parametrize("seed", range(5))
async def test_chunked_and_length_bodies_split_anywhere_parse_alike(seed: int) -> None:
    events = [b"data: %d\n\n" % i for i in range(20)]
    chunked_answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked(*events)
    )
    whole = b"".join(events)
    length_answer = b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(whole), whole)
    answers = iter([split_randomly(chunked_answer, seed), split_randomly(length_answer, seed)])
    async with serving(lambda _: next(answers)) as server:
        pool = pool_for(server)
        first, streamed = await post(pool)
        second, plain = await post(pool)
        pool.close()
    assert streamed == plain == whole
    assert (first.status, first.content_type) == (200, "text/event-stream")
    assert (second.status, second.content_type) == (201, "application/octet-stream")
    assert server.connections == 1


async def test_chunk_extensions_trailers_and_informational_heads() -> None:
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;name=value\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    async with serving(lambda _: [answer]) as server:
        pool = pool_for(server)
        response, data = await post(pool)
        _, again = await post(pool)
        pool.close()
    assert (response.status, data, again) == (200, b"abc", b"abc")
    assert server.connections == 1


async def test_gzip_body_is_decompressed() -> None:
    packed = gzip.compress(b'{"ok":true}')
    answer = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (
        len(packed),
        packed,
    )
    async with serving(lambda _: [answer]) as server:
        pool = pool_for(server)
        _, data = await post(pool)
        pool.close()
    assert data == b'{"ok":true}'


async def test_close_delimited_body_and_connection_close_are_not_reused() -> None:
    answers = iter(
        [
            [b"HTTP/1.1 200 OK\r\n\r\nuntil close", b""],
            [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", b""],
            [b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"],
        ]
    )
    async with serving(lambda _: next(answers)) as server:
        pool = pool_for(server)
        assert (await post(pool))[1] == b"until close"
        assert (await post(pool))[1] == b"ok"
        assert (await post(pool))[1] == b"ok"
        pool.close()
    assert server.connections == 3


async def test_unread_body_closes_its_connection() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    async with serving(lambda _: [answer[:-2], answer[-2:]]) as server:
        pool = pool_for(server)
        response = await pool.request("/x", {}, b"")
        response.release()
        await post(pool)
        pool.close()
    assert server.connections == 2


async def test_pool_limit_makes_requests_wait_for_a_connection() -> None:
    async def three_posts(pool: EgressPool) -> list[bytes]:
        return [(await post(pool))[1] for _ in range(3)]

    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with serving(lambda _: [answer]) as server:
        pool = pool_for(server, limit=2)
        results = await asyncio.gather(*(three_posts(pool) for _ in range(5)))
        pool.close()
    assert all(r == [b"ok"] * 3 for r in results)
    assert server.connections <= 2


async def test_reading_pauses_while_a_large_body_waits_for_its_reader() -> None:
    size = HIGH_WATER * 4
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size
    async with serving(lambda _: [answer, b"x" * size]) as server:
        pool = pool_for(server)
        response = await pool.request("/x", {}, b"")
        await asyncio.sleep(0.2)
        assert response.content._size <= HIGH_WATER + 256 * 1024
        data = await response.read()
        response.release()
        pool.close()
    assert len(data) == size


@pytest.mark.parametrize(
    "answer",
    [
        [b"SMTP ready\r\n\r\n"],
        [b"HTTP/1.1 200 OK\r\nbad header line\r\n\r\n"],
        [b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"],
    ],
    ids=["not http", "bad header", "bad length"],
)
async def test_invalid_heads_are_egress_errors(answer: list[bytes]) -> None:
    async with serving(lambda _: answer) as server:
        pool = pool_for(server)
        with pytest.raises(EgressError):
            await post(pool)
        pool.close()


async def test_body_cut_short_and_bad_chunks_fail_the_read() -> None:
    answers = iter(
        [
            [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", b""],
            [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
        ]
    )
    async with serving(lambda _: next(answers)) as server:
        pool = pool_for(server)
        for _ in range(2):
            response = await pool.request("/x", {}, b"")
            with pytest.raises(EgressError):
                await response.read()
            response.close()
        pool.close()


async def test_closed_before_answering_is_a_connect_error() -> None:
    async with serving(lambda _: [b""]) as server:
        pool = pool_for(server)
        with pytest.raises(EgressConnectError):
            await post(pool)
        pool.close()


async def test_header_values_with_newlines_are_refused() -> None:
    async with serving(lambda _: []) as server:
        pool = pool_for(server)
        with pytest.raises(ValueError):
            await pool.request("/x", {"x-bad": "a\r\nb: c"}, b"")
        pool.close()


async def test_unreachable_egress_is_bad_gateway() -> None:
    async with serving(lambda _: []) as server:
        port = server.port
    egress = Egress(BrightstaffSettings(egress_url=f"http://127.0.0.1:{port}"))
    with pytest.raises(BadGateway, match="unreachable"):
        await egress.post("/v1/chat/completions", {}, b"{}")
    await egress.close()
