"""The serving loop in-process: several listeners in one event loop, one lifespan per app,
keep-alive, and SIGTERM stopping it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from typing import Any

import pytest

from plano_common.disconnect import ClientConnection, client_connection
from plano_common.server import Listener, StartupError, bind_listeners, serve_listeners
from plano_common.server_settings import ServerSettings
from plano_testkit import free_port


class _App:
    def __init__(self, text: bytes) -> None:
        self.text = text
        self.lifespan: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                self.lifespan.append(message["type"])
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await receive()
        headers = [(b"content-length", str(len(self.text)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.text})


async def _get(port: int) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    return await reader.readexactly(length), reader, writer


async def test_listeners_share_one_loop_and_each_app_starts_once() -> None:
    first, second = _App(b"one"), _App(b"two")
    ports = [free_port() for _ in range(3)]
    bound = bind_listeners(
        [
            Listener("main", "127.0.0.1", ports[0], first),
            Listener("again", "127.0.0.1", ports[1], first),
            Listener("other", "127.0.0.1", ports[2], second),
        ]
    )
    settings = ServerSettings(keep_alive_seconds=0.5, drain_seconds=1)
    server = asyncio.create_task(serve_listeners(bound, settings, service="svc"))
    try:
        bodies = []
        for port in ports:
            for _ in range(100):
                try:
                    body, _, writer = await _get(port)
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            writer.close()
            bodies.append(body)
        assert bodies == [b"one", b"one", b"two"]
        assert first.lifespan == ["lifespan.startup"]
        assert second.lifespan == ["lifespan.startup"]

        body, reader, writer = await _get(ports[0])
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # idle: closed by keep-alive
        assert time.monotonic() - started < 10
        writer.close()
    finally:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(server, 15)
    assert first.lifespan == ["lifespan.startup", "lifespan.shutdown"]
    assert second.lifespan == ["lifespan.startup", "lifespan.shutdown"]
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0


async def test_a_failed_app_startup_is_a_one_line_startup_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        message = "Traceback (most recent call last):\n  ...\nOSError: database unreachable"
        await send({"type": "lifespan.startup.failed", "message": message})

    bound = bind_listeners([Listener("main", "127.0.0.1", free_port(), app)])
    with pytest.raises(StartupError, match=r"^OSError: database unreachable$"):
        await asyncio.wait_for(serve_listeners(bound, ServerSettings(), service="svc"), 15)


async def test_a_request_learns_through_its_client_connection_that_the_client_left() -> None:
    seen: list[ClientConnection | None] = []
    left = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _App(b"")(scope, receive, send)
            return
        await receive()
        connection = client_connection(scope)
        seen.append(connection)
        if connection is not None:
            connection.on_close(left.set)
        await asyncio.wait_for(left.wait(), 10)

    port = free_port()
    bound = bind_listeners([Listener("main", "127.0.0.1", port, app)])
    settings = ServerSettings(drain_seconds=1)
    server = asyncio.create_task(serve_listeners(bound, settings, service="svc"))
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        writer.write(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi")
        await writer.drain()
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        assert seen and seen[0] is not None and not seen[0].closed
        writer.transport.abort()
        await asyncio.wait_for(left.wait(), 5)
        assert seen[0].closed
    finally:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(server, 15)


def test_client_connection_callbacks_run_once_and_late_ones_at_once() -> None:
    calls: list[str] = []
    connection = ClientConnection()
    connection.on_close(lambda: calls.append("first"))
    removed = lambda: calls.append("removed")  # noqa: E731
    connection.on_close(removed)
    connection.remove(removed)
    connection.remove(removed)
    connection.close()
    connection.close()
    connection.on_close(lambda: calls.append("late"))
    assert calls == ["first", "late"]
