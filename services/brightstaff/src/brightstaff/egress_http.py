"""A lean HTTP/1.1 client for the LLM egress (one http or https origin): pooled keep-alive
connections, each request written in one piece, each response parsed as it arrives (head, then
a Content-Length, chunked or close-delimited body, gzip/deflate undone) and its body handed over
chunk by chunk with flow control.

A response must be released (`EgressResponse.release`): a connection goes back to the pool only
when its response was read to the end and both sides keep it alive; otherwise it is closed.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

__all__ = [
    "EgressConnectError",
    "EgressConnectTimeoutError",
    "EgressError",
    "EgressPool",
    "EgressResponse",
]

MAX_HEAD_BYTES = 64 * 1024
"""A response head larger than this is refused."""
HIGH_WATER = 128 * 1024
"""Reading from the egress pauses while this much of a body waits for its reader."""
_NO_BODY_STATUSES = frozenset({204, 304})
_ENCODED = (b"gzip", b"x-gzip", b"deflate")


class EgressError(Exception):
    """The egress connection failed, or the egress sent something that is not HTTP/1.1."""


class EgressConnectError(EgressError):
    """No connection to the egress could be opened (or it closed before answering)."""


class EgressConnectTimeoutError(EgressConnectError):
    """Opening a connection to the egress took longer than the connect timeout."""


class _Body:
    """A response body as it arrives: chunks waiting for their reader, then EOF or a failure."""

    __slots__ = ("_chunks", "_conn", "_error", "_size", "_waiter", "eof")

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._error: EgressError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.eof = False

    def feed(self, data: bytes) -> None:
        if data:
            self._chunks.append(data)
            self._size += len(data)
            if self._size > HIGH_WATER:
                self._conn.pause()
            self._wake()

    def finish(self) -> None:
        self.eof = True
        self._wake()

    def fail(self, error: EgressError) -> None:
        if not self.eof:
            self._error = error
            self.eof = True
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def at_eof(self) -> bool:
        """True once the whole body has been read."""
        return self.eof and not self._chunks and self._error is None

    async def _wait(self) -> None:
        while not self._chunks and not self.eof:
            self._waiter = self._conn.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _take(self) -> bytes:
        data = b"".join(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks.clear()
        self._size = 0
        self._conn.resume()
        return data

    async def readany(self) -> bytes:
        """What has arrived (waiting for some), b"" at the end; raises `EgressError`."""
        await self._wait()
        if self._chunks:
            return self._take()
        if self._error is not None:
            raise self._error
        return b""

    def iter_any(self) -> _Chunks:
        """The body's chunks as they arrive."""
        return _Chunks(self)

    async def read(self, limit: int = -1) -> bytes:
        """The body to its end, or its first `limit` bytes when that is reached first."""
        parts: list[bytes] = []
        size = 0
        while limit < 0 or size < limit:
            data = await self.readany()
            if not data:
                break
            if limit >= 0 and size + len(data) > limit:
                self._chunks.appendleft(data[limit - size :])
                self._size += len(data) - (limit - size)
                data = data[: limit - size]
            parts.append(data)
            size += len(data)
        return b"".join(parts)


class _Chunks:
    """Async iterator over a body's chunks."""

    __slots__ = ("_body",)

    def __init__(self, body: _Body) -> None:
        self._body = body

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        data = await self._body.readany()
        if not data:
            raise StopAsyncIteration
        return data


class EgressResponse:
    """One egress response: status and headers, its body unread."""

    __slots__ = ("_conn", "_fields", "content", "raw_headers", "status")

    def __init__(
        self, conn: _Connection, status: int, raw_headers: tuple[tuple[bytes, bytes], ...]
    ) -> None:
        self._conn = conn
        self.status = status
        self.raw_headers = raw_headers
        self._fields = {name.lower(): value for name, value in raw_headers}
        self.content = _Body(conn)

    def header(self, name: bytes) -> bytes | None:
        """The last value of a header (`name` in lower case), or None."""
        return self._fields.get(name)

    @property
    def content_type(self) -> str:
        """The media type (lower case, no parameters); `application/octet-stream` when absent."""
        value = self.header(b"content-type")
        if value is None:
            return "application/octet-stream"
        return value.split(b";", 1)[0].strip().lower().decode("latin-1")

    async def read(self) -> bytes:
        """The whole body."""
        return await self.content.read()

    def release(self) -> None:
        """Done with the response: its connection is pooled again when reusable, else closed."""
        self._conn.done(self)

    def close(self) -> None:
        """Drop the response and its connection."""
        self._conn.close()

    async def __aenter__(self) -> EgressResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class _Connection(asyncio.Protocol):
    """One connection to the egress; parses the responses of the requests written to it."""

    def __init__(self, pool: EgressPool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._head: asyncio.Future[EgressResponse] | None = None
        self._response: EgressResponse | None = None
        self._remaining = 0
        """Body bytes still expected: a count, -1 for chunked, -2 to the connection's close,
        -3 once the body ended."""
        self._chunk_left = 0
        self._trailers = False
        self._inflate: Any = None
        self._keep_alive = True
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def send(self, data: bytes) -> asyncio.Future[EgressResponse]:
        """Write one request; the future resolves with its response's head."""
        assert self.transport is not None
        if self.transport.is_closing():
            raise EgressConnectError("egress closed the connection")
        self._head = self.loop.create_future()
        self._keep_alive = True
        self.transport.write(data)
        return self._head

    def pause(self) -> None:
        if not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        try:
            if self._response is None:
                self._read_head(data)
            else:
                self._read_body(data)
        except EgressError as exc:
            self._fail(exc)

    def _read_head(self, data: bytes) -> None:
        if self._head is None or self._head.done():
            raise EgressError("data received with no request pending")
        buffer = self._buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise EgressError("response head too large")
            return
        head = bytes(buffer[:end])
        rest = bytes(buffer[end + 4 :])
        buffer.clear()
        status, headers = _parse_head(head)
        if 100 <= status < 200:
            if rest:
                self._read_head(rest)
            return
        response = EgressResponse(self, status, headers)
        self._frame(response, head.startswith(b"HTTP/1.0"))
        self._response = response
        self._head.set_result(response)
        if self._remaining == 0:
            self._end_body(rest)
        elif rest:
            self._read_body(rest)

    def _frame(self, response: EgressResponse, http10: bool) -> None:
        """How the body is delimited, and whether the connection stays open after it."""
        connection = (response.header(b"connection") or b"").lower()
        self._keep_alive = b"close" not in connection and (
            not http10 or b"keep-alive" in connection
        )
        encoding = (response.header(b"content-encoding") or b"").strip().lower()
        self._inflate = zlib.decompressobj(47) if encoding in _ENCODED else None
        transfer = response.header(b"transfer-encoding")
        length = response.header(b"content-length")
        if response.status in _NO_BODY_STATUSES:
            self._remaining = 0
        elif transfer is not None and transfer.strip().lower().endswith(b"chunked"):
            self._remaining, self._chunk_left, self._trailers = -1, 0, False
        elif length is not None:
            if not length.strip().isdigit():
                raise EgressError(f"invalid Content-Length {length[:40]!r}")
            self._remaining = int(length)
        else:
            self._remaining = -2
            self._keep_alive = False

    def _read_body(self, data: bytes) -> None:
        remaining = self._remaining
        if remaining == -3:
            self._keep_alive = False
        elif remaining == -2:
            self._deliver(data)
        elif remaining == -1:
            self._read_chunked(data)
        elif len(data) < remaining:
            self._remaining -= len(data)
            self._deliver(data)
        else:
            self._remaining = 0
            self._deliver(data[:remaining])
            self._end_body(data[remaining:])

    def _read_chunked(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            if self._chunk_left > 0:
                take = min(self._chunk_left, len(buffer))
                if not take:
                    return
                self._deliver(bytes(buffer[:take]))
                del buffer[:take]
                self._chunk_left -= take
                if self._chunk_left:
                    return
                self._chunk_left = -1
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise EgressError("chunk header too large")
                return
            line = bytes(buffer[:line_end])
            del buffer[: line_end + 2]
            if self._chunk_left == -1:
                if line:
                    raise EgressError("chunk not followed by CRLF")
                self._chunk_left = 0
            elif self._trailers:
                if not line:
                    rest = bytes(buffer)
                    buffer.clear()
                    self._end_body(rest)
                    return
            else:
                self._chunk_left = _chunk_size(line)
                if self._chunk_left == 0:
                    self._trailers = True

    def _deliver(self, data: bytes) -> None:
        response = self._response
        assert response is not None
        if self._inflate is not None:
            try:
                data = self._inflate.decompress(data)
            except zlib.error as exc:
                raise EgressError(f"cannot decompress the response body: {exc}") from None
        response.content.feed(data)

    def _end_body(self, rest: bytes) -> None:
        response = self._response
        assert response is not None
        self._remaining = -3
        if self._inflate is not None:
            response.content.feed(self._inflate.flush())
        if rest:
            self._keep_alive = False
        response.content.finish()

    def _fail(self, error: EgressError) -> None:
        head = self._head
        if head is not None and not head.done():
            head.set_exception(error)
        if self._response is not None:
            self._response.content.fail(error)
        self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        head = self._head
        if head is not None and not head.done():
            reason = f": {exc}" if exc else ""
            head.set_exception(EgressConnectError(f"egress closed the connection{reason}"))
        response = self._response
        if response is not None:
            if self._remaining == -2:
                self._end_body(b"")
            else:
                response.content.fail(EgressError("egress response ended before its body did"))
        self.pool.forget(self)

    def done(self, response: EgressResponse) -> None:
        """The response was released: pool the connection when it can take another request."""
        if response is not self._response:
            return
        reusable = (
            not self.closed and self._keep_alive and response.content.at_eof() and not self._paused
        )
        self._response = None
        self._head = None
        if reusable:
            self.pool.put(self)
        else:
            self.close()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()


class EgressPool:
    """Keep-alive connections to the `http://` or `https://` origin of `base_url`, at most
    `limit` open at once; request paths are appended to the URL's own path."""

    def __init__(
        self, base_url: str, *, limit: int, connect_timeout: float, keepalive: float
    ) -> None:
        parts = urlsplit(base_url)
        secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if secure else 80)
        self.loop = asyncio.get_running_loop()
        self._prefix = parts.path.rstrip("/")
        self._ssl = ssl.create_default_context() if secure else None
        self._limit = limit
        self._connect_timeout = connect_timeout
        self._keepalive = keepalive
        self._idle: deque[_Connection] = deque()
        self._open: set[_Connection] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = self.port == (443 if secure else 80)
        self._host_header = host if default else f"{host}:{self.port}"

    async def request(self, path: str, headers: Mapping[str, str], body: bytes) -> EgressResponse:
        """POST `body`; the response comes back once its head arrived, its body unread."""
        data = _request_bytes(self._prefix + path, self._host_header, headers, body)
        conn = await self._acquire()
        try:
            return await conn.send(data)
        except BaseException:
            conn.close()
            raise

    async def _acquire(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            transport = conn.transport
            if (
                not conn.closed
                and transport is not None
                and not transport.is_closing()
                and now - conn.idle_since < self._keepalive
            ):
                return conn
            conn.close()
        while len(self._open) >= self._limit:
            waiter = self.loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if self._idle:
                return await self._acquire()
        return await self._connect()

    async def _connect(self) -> _Connection:
        conn = _Connection(self)
        self._open.add(conn)
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self.loop.create_connection(lambda: conn, self.host, self.port, ssl=self._ssl)
        except TimeoutError:
            self.forget(conn)
            raise EgressConnectTimeoutError(
                f"connecting took over {self._connect_timeout:g}s"
            ) from None
        except OSError as exc:
            self.forget(conn)
            raise EgressConnectError(str(exc) or type(exc).__name__) from None
        except BaseException:
            self.forget(conn)
            conn.close()
            raise
        return conn

    def put(self, conn: _Connection) -> None:
        """A connection free for another request."""
        conn.idle_since = time.monotonic()
        self._idle.append(conn)
        self._wake()

    def forget(self, conn: _Connection) -> None:
        """A connection that closed."""
        self._open.discard(conn)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Close every connection."""
        for conn in list(self._open):
            conn.close()
        self._idle.clear()


def _request_bytes(path: str, host: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """The request head and body; a header name or value with CR or LF is refused."""
    lines = [f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers.items()]
    if not any(name.lower() == "accept" for name in headers):
        lines.append("Accept: */*\r\n")
    lines.append(f"Content-Length: {len(body)}\r\n\r\n")
    head = "".join(lines)
    ends = len(lines) + 2
    if head.count("\n") != ends or head.count("\r") != ends:
        raise ValueError("newline or carriage return in the egress request's line or headers")
    return head.encode("latin-1") + body


def _parse_head(head: bytes) -> tuple[int, tuple[tuple[bytes, bytes], ...]]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise EgressError(f"invalid status line {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise EgressError(f"invalid header line {line[:80]!r}")
        headers.append((name, value.strip()))
    return int(parts[1]), tuple(headers)


def _chunk_size(line: bytes) -> int:
    size = line.split(b";", 1)[0].strip()
    if not size or size.strip(b"0123456789abcdefABCDEF"):
        raise EgressError(f"invalid chunk size {size[:20]!r}")
    return int(size, 16)
