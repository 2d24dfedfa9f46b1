"""A base for small fake HTTP services: run in the test's loop (`async with`) or a thread (`with`).

`tls` (an SSL server context) serves HTTPS instead of HTTP.

Subclasses implement `handle(request) -> (status, headers, body)`, or override `serve` to
write the response themselves (a stream); `/healthz` answers 200. Every request (except the
health check) is kept in `requests`. `LoopThread` runs any such server in a background thread.
"""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from plano_testkit.http_server import ConnectionState, HttpProtocol, HttpRequest, ResponseWriter

__all__ = [
    "JSON_HEADERS",
    "THREAD_START_TIMEOUT",
    "LoopThread",
    "SmallServer",
    "json_body",
    "serve_until_signaled",
]

JSON_HEADERS: Sequence[tuple[str, str]] = (("content-type", "application/json"),)
THREAD_START_TIMEOUT = 10.0


def json_body(value: Any) -> bytes:
    """`value` as compact JSON bytes."""
    return json.dumps(value, separators=(",", ":")).encode()


class LoopThread:
    """A daemon thread with its own event loop that runs one server until `stop`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(
        self, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
    ) -> None:
        """Run `start()` in the thread's loop and wait for it (its error is raised here); the
        loop then runs until `stop()`, which awaits `stop` before closing the loop."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(start())
            except BaseException as error:
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(stop())
                loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(THREAD_START_TIMEOUT):
            raise RuntimeError(f"{self.name} did not start")
        if failure:
            raise failure[0]

    def stop(self) -> None:
        """Stop the loop and wait for the thread (no-op when not running)."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(THREAD_START_TIMEOUT)
        self._loop = self._thread = None


class SmallServer:
    """A fake service on `host:port` (port 0: any free port)."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.requests: list[HttpRequest] = []
        self._server: asyncio.Server | None = None
        self._runner = LoopThread(type(self).__name__)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123 (https with `tls`)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def reset(self) -> None:
        """Forget recorded requests (and, in subclasses, scripted answers)."""
        self.requests.clear()

    async def handle(self, request: HttpRequest) -> tuple[int, Sequence[tuple[str, str]], bytes]:
        """The response to one request (override)."""
        raise NotImplementedError

    async def serve(self, request: HttpRequest, writer: ResponseWriter) -> None:
        """Answer one recorded request (override to stream; the default sends `handle`'s)."""
        status, headers, body = await self.handle(request)
        await writer.respond(status, headers, body)

    async def start(self) -> None:
        """Start listening in the running loop."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HttpProtocol(self._serve, _ignore, _ignore), self.host, self.port, ssl=self.tls
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, request: HttpRequest, writer: ResponseWriter) -> None:
        if request.path == "/healthz":
            await writer.respond(200, [("content-type", "text/plain")], b"ok")
            return
        self.requests.append(request)
        await self.serve(request, writer)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __enter__(self) -> Self:
        self._runner.start(self.start, self.stop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runner.stop()


def serve_until_signaled(server: SmallServer, label: str) -> None:
    """Serve `server` in a new event loop until SIGTERM or SIGINT, after printing
    ``<label> listening on <url>`` (the ``main`` of a helper run as a process)."""

    async def serve() -> None:
        async with server:
            sys.stdout.write(f"{label} listening on {server.url}\n")
            sys.stdout.flush()
            stopped = asyncio.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(signum, stopped.set)
            await stopped.wait()

    asyncio.run(serve())


def _ignore(_: ConnectionState) -> None:
    return None
