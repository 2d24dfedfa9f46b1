"""A small HTTP/1.1 server on raw asyncio, built for a fake upstream.

It parses requests (Content-Length or chunked bodies, keep-alive, pipelined requests served in
order) and gives each one to an async handler together with a `ResponseWriter` that writes
exactly the bytes the handler asks for, one transport write per call. That precision is the
point: a test can re-chunk a body, pause between writes, or cut the connection mid-body, and
it learns the moment the client disconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import unquote

__all__ = [
    "MAX_HEAD_BYTES",
    "REASONS",
    "ClientDisconnectedError",
    "ConnectionState",
    "Handler",
    "HttpProtocol",
    "HttpRequest",
    "ResponseWriter",
]

MAX_HEAD_BYTES = 64 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Overloaded",
}


@dataclass
class HttpRequest:
    """One parsed request. Header names are lower-cased; repeated headers are joined by ", "."""

    method: str
    raw_path: str
    path: str
    query_string: str
    version: str
    headers: dict[str, str]
    body: bytes = b""


class ClientDisconnectedError(ConnectionError):
    """The client closed the connection before the response was complete."""


@dataclass
class ConnectionState:
    """Lifecycle of one TCP connection, shared by its protocol and the handlers it runs."""

    opened_at: float
    closed_at: float | None = None
    on_close: list[Callable[[float], None]] = field(default_factory=list)


class ResponseWriter:
    """Writes one response. Each `write` is one transport write, framed if chunked."""

    def __init__(self, protocol: HttpProtocol, request: HttpRequest) -> None:
        self._protocol = protocol
        self._chunked = False
        self.keep_alive = _wants_keep_alive(request)

    @property
    def connection(self) -> ConnectionState:
        """The connection this response is written on."""
        return self._protocol.state

    async def start(
        self,
        status: int,
        headers: Iterable[tuple[str, str]],
        *,
        content_length: int | None = None,
    ) -> None:
        """Send the status line and headers; without a content length the body is chunked."""
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if content_length is None:
            self._chunked = True
            lines.append("transfer-encoding: chunked")
        else:
            lines.append(f"content-length: {content_length}")
        if not self.keep_alive:
            lines.append("connection: close")
        await self._send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def write(self, data: bytes) -> None:
        """Send part of the body (one chunk when chunked). Empty data sends nothing."""
        if not data:
            return
        if self._chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        await self._send(data)

    async def finish(self) -> None:
        """End the body properly (the terminating chunk when chunked)."""
        if self._chunked:
            await self._send(b"0\r\n\r\n")
        if not self.keep_alive:
            self._protocol.close()

    async def respond(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """Send a complete response with a Content-Length body in one write."""
        await self.start(status, headers, content_length=len(body))
        await self.write(body)
        await self.finish()

    def cut(self) -> None:
        """Close the connection now (after flushing what was written), leaving the body short."""
        self.keep_alive = False
        self._protocol.close()

    async def _send(self, data: bytes) -> None:
        protocol = self._protocol
        if protocol.closed:
            raise ClientDisconnectedError("client disconnected")
        await protocol.drain()
        if protocol.closed:
            raise ClientDisconnectedError("client disconnected")
        protocol.write(data)


Handler = Callable[[HttpRequest, ResponseWriter], Awaitable[None]]


class HttpProtocol(asyncio.Protocol):
    """One client connection: parses requests and runs the handler for each, in order."""

    def __init__(
        self,
        handler: Handler,
        on_open: Callable[[ConnectionState], None],
        on_close: Callable[[ConnectionState], None],
    ) -> None:
        self._handler = handler
        self._on_open = on_open
        self._on_close = on_close
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._pending: list[HttpRequest] = []
        self._task: asyncio.Task[None] | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._head: _Head | None = None
        self.closed = False
        self.state = ConnectionState(opened_at=time.monotonic())

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._on_open(self.state)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        try:
            self._parse_requests()
        except ValueError as error:
            self._reject(str(error))
            return
        if self._pending and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._serve())

    def eof_received(self) -> bool:
        # HTTP clients do not half-close while waiting for a response: end of input means the
        # client has gone, so close at once (connection_lost then records the disconnect).
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        self._can_write.set()
        now = time.monotonic()
        self.state.closed_at = now
        for callback in self.state.on_close:
            callback(now)
        self._on_close(self.state)
        if self._task is not None:
            self._task.cancel()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    # used by ResponseWriter

    async def drain(self) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        if not self._can_write.is_set():
            await self._can_write.wait()

    def write(self, data: bytes) -> None:
        """Write bytes to the transport."""
        assert self._transport is not None
        self._transport.write(data)

    def close(self) -> None:
        """Close the transport after its buffer is flushed."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    async def abort(self) -> None:
        """Drop the connection at once and wait for its handler to end."""
        task = self._task
        if self._transport is not None:
            self._transport.abort()
        if task is not None:
            await asyncio.wait([task], timeout=1.0)

    # internals

    async def _serve(self) -> None:
        try:
            while self._pending and not self.closed:
                request = self._pending.pop(0)
                writer = ResponseWriter(self, request)
                with contextlib.suppress(ClientDisconnectedError):
                    await self._handler(request, writer)
                if not writer.keep_alive:
                    self.close()
                    return
        finally:
            self._task = None

    def _parse_requests(self) -> None:
        while True:
            request = self._parse_one()
            if request is None:
                return
            self._pending.append(request)

    def _parse_one(self) -> HttpRequest | None:
        if self._head is None:
            self._head = _parse_head(self._buffer)
            if self._head is None:
                return None
            if self._head.headers.get("expect", "").lower() == "100-continue":
                self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        head = self._head
        buffer = self._buffer
        if head.chunked:
            parsed = _parse_chunked(buffer, head.body_start)
            if parsed is None:
                return None
            body, consumed = parsed
        else:
            consumed = head.body_start + head.content_length
            if len(buffer) < consumed:
                return None
            body = bytes(buffer[head.body_start : consumed])
        del buffer[:consumed]
        self._head = None
        raw_path, _, query = head.target.partition("?")
        return HttpRequest(
            method=head.method,
            raw_path=raw_path,
            path=unquote(raw_path),
            query_string=query,
            version=head.version,
            headers=head.headers,
            body=body,
        )

    def _reject(self, reason: str) -> None:
        body = reason.encode()
        head = (
            f"HTTP/1.1 400 Bad Request\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.write(head.encode("latin-1") + body)
        self.close()


@dataclass(frozen=True)
class _Head:
    """A parsed request line and headers, kept while the body is still arriving."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body_start: int
    chunked: bool
    content_length: int


def _parse_head(buffer: bytearray) -> _Head | None:
    """Parse the request head at the start of the buffer (None until it is complete)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise ValueError("request head too large")
        return None
    request_line, _, header_block = bytes(buffer[:end]).decode("latin-1").partition("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3:
        raise ValueError("malformed request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in header_block.split("\r\n") if header_block else ():
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("malformed header line")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    try:
        length = 0 if chunked else int(headers.get("content-length", "0") or "0")
    except ValueError:
        raise ValueError("malformed content-length") from None
    return _Head(method.upper(), target, version, headers, end + 4, chunked, length)


def _parse_chunked(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at `start`: (body, bytes consumed) or None if incomplete."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0].strip() or b"0", 16)
        position = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", position - 2)
            if trailer_end < 0:
                return None
            return bytes(body), trailer_end + 4
        if len(buffer) < position + size + 2:
            return None
        body += buffer[position : position + size]
        position += size + 2


def _wants_keep_alive(request: HttpRequest) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection
