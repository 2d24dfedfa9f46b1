"""A lean HTTP/1.1 keep-alive load driver for the gateway benchmark.

One asyncio protocol per connection; each connection sends a request, reads the whole response
(Content-Length or chunked), and records latency and the time to the first body byte that
carries a content delta. Cheap enough that the driver is not what is measured.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Sample:
    """Result of one request."""

    latency: float
    first_delta: float | None
    status: int


@dataclass
class LoadResult:
    """Results of one load phase."""

    samples: list[Sample] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.samples) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float, *, ttft: bool = False) -> float:
        values = sorted(
            (s.first_delta if ttft else s.latency)
            for s in self.samples
            if not ttft or s.first_delta is not None
        )
        if not values:
            return float("nan")
        index = min(len(values) - 1, max(0, round(q / 100 * len(values)) - 1))
        return values[index]  # type: ignore[return-value]

    @property
    def non_2xx(self) -> int:
        return sum(1 for s in self.samples if s.status >= 300)

    def median(self) -> float:
        return statistics.median(s.latency for s in self.samples)


class _Connection(asyncio.Protocol):
    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Sample] | None = None
        self.started = 0.0
        self.first_delta: float | None = None
        self.status = 0
        self.header_end = -1
        self.length: int | None = None
        self.chunked = False
        self.closing = False
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))
        if not self.lost.done():
            self.lost.set_result(None)

    def request(self, payload: bytes) -> asyncio.Future[Sample]:
        assert self.transport is not None
        self.buffer.clear()
        self.header_end = -1
        self.first_delta = None
        self.closing = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.started = time.perf_counter()
        self.transport.write(payload)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.header_end < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.header_end = end + 4
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            self.status = int(head[0].split(" ", 2)[1])
            self.length = None
            self.chunked = False
            for line in head[1:]:
                name, _, value = line.partition(":")
                lowered = name.strip().lower()
                if lowered == "content-length":
                    self.length = int(value)
                elif lowered == "transfer-encoding" and "chunked" in value.lower():
                    self.chunked = True
                elif lowered == "connection" and "close" in value.lower():
                    self.closing = True
        if self.first_delta is None and self.marker and self.marker in data:
            self.first_delta = time.perf_counter() - self.started
        body = self.buffer[self.header_end :]
        complete = body.endswith(b"0\r\n\r\n") if self.chunked else len(body) >= (self.length or 0)
        if complete and self.waiter is not None and not self.waiter.done():
            latency = time.perf_counter() - self.started
            self.waiter.set_result(Sample(latency, self.first_delta, self.status))


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """The raw bytes of a keep-alive POST."""
    lines = [f"POST {path} HTTP/1.1", f"host: {host}:{port}", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def run_load(
    host: str,
    port: int,
    payload: bytes,
    *,
    concurrency: int,
    requests: int | None = None,
    duration: float | None = None,
    marker: bytes = b"",
) -> LoadResult:
    """Send `payload` over `concurrency` keep-alive connections for a count or a duration."""
    loop = asyncio.get_running_loop()
    result = LoadResult()
    remaining = [requests if requests is not None else 1 << 62]
    stop_at = time.perf_counter() + duration if duration is not None else float("inf")

    async def worker() -> None:
        _, conn = await loop.create_connection(lambda: _Connection(marker), host, port)
        try:
            while remaining[0] > 0 and time.perf_counter() < stop_at:
                remaining[0] -= 1
                try:
                    sample = await asyncio.wait_for(conn.request(payload), 60)
                except (ConnectionError, TimeoutError):
                    result.errors += 1
                    conn.transport and conn.transport.close()  # type: ignore[func-returns-value]
                    _, conn = await loop.create_connection(lambda: _Connection(marker), host, port)
                    continue
                result.samples.append(sample)
                if conn.closing:
                    conn.transport and conn.transport.close()  # type: ignore[func-returns-value]
                    _, conn = await loop.create_connection(lambda: _Connection(marker), host, port)
        finally:
            if conn.transport is not None:
                conn.transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result
