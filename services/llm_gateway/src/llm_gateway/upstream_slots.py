"""The concurrency limit per upstream host: a slot per request in flight, held from sending
until the response is released or closed, with a bounded and measured wait for a free slot.

Waiting for a slot is separate from connecting: the connect timeout covers only DNS, TCP and
TLS. A request that finds every slot busy waits at most the pool wait, then answers 503.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from plano_common.errors import ServiceUnavailable

__all__ = ["HostSlots", "PoolMetrics", "SlottedResponse"]

_WAIT_BUCKETS = (0.001, 0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))


class PoolMetrics:
    """How long requests waited for a free upstream slot."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.wait = Histogram(
            "llm_gateway_upstream_pool_wait_seconds",
            "Time a request waited for a free upstream connection slot (only requests that waited)",
            buckets=_WAIT_BUCKETS,
            registry=registry,
        )
        self.waiting = Gauge(
            "llm_gateway_upstream_pool_waiting",
            "Requests waiting for a free upstream connection slot",
            registry=registry,
        )
        self.timeouts = Counter(
            "llm_gateway_upstream_pool_wait_timeouts",
            "Requests refused because no upstream connection slot freed up in time",
            registry=registry,
        )


class HostSlots:
    """At most `limit` requests in flight to each upstream host."""

    def __init__(self, limit: int, wait_seconds: float, metrics: PoolMetrics) -> None:
        self._limit = limit
        self._wait_seconds = wait_seconds
        self._metrics = metrics
        self._hosts: dict[tuple[str, int], asyncio.Semaphore] = {}

    async def acquire(self, host: str, port: int) -> Callable[[], None]:
        """Take a slot for (host, port), waiting at most the pool wait; returns its release
        (call it exactly once). Raises ServiceUnavailable when no slot frees up in time."""
        key = (host, port)
        slots = self._hosts.get(key)
        if slots is None:
            slots = self._hosts[key] = asyncio.Semaphore(self._limit)
        if not slots.locked():
            await slots.acquire()
            return slots.release
        await self._wait(slots)
        return slots.release

    async def _wait(self, slots: asyncio.Semaphore) -> None:
        metrics = self._metrics
        started = time.perf_counter()
        metrics.waiting.inc()
        try:
            async with asyncio.timeout(self._wait_seconds):
                await slots.acquire()
        except TimeoutError:
            metrics.timeouts.inc()
            raise ServiceUnavailable(
                f"no upstream connection slot freed up within {self._wait_seconds:g} s (at "
                f"most {self._limit} requests in flight per upstream host)"
            ) from None
        finally:
            metrics.waiting.dec()
            metrics.wait.observe(time.perf_counter() - started)


class SlottedResponse(aiohttp.ClientResponse):
    """A response that gives its upstream slot back when it is released or closed."""

    slot_release: Callable[[], None] | None = None

    def release(self) -> None:
        """Release the connection and the slot."""
        super().release()
        self._free_slot()

    def close(self) -> None:
        """Close the connection and release the slot."""
        super().close()
        self._free_slot()

    def _free_slot(self) -> None:
        release, self.slot_release = self.slot_release, None
        if release is not None:
            release()
