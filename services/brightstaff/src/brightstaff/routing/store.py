"""Where session bindings live: an in-process LRU with a TTL, or Redis shared by replicas.

Redis keys are ``plano:affinity:<session key>``, values are the binding as JSON written with
an expiry (``SET … EX``, the same as SETEX). Every store call is bounded by a timeout; the
caller treats errors as a miss.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Final, Protocol

import msgspec
import redis.asyncio as aioredis

__all__ = [
    "REDIS_KEY_PREFIX",
    "BindingStore",
    "MemoryBindingStore",
    "RedisBindingStore",
    "RouteVisit",
    "SessionBinding",
]

REDIS_KEY_PREFIX: Final = "plano:affinity:"
MAX_HISTORY: Final = 8
MAX_BINDING_BYTES: Final = 64 * 1024


class RouteVisit(msgspec.Struct, frozen=True):
    """A model the session ran on and when (for credit on returning to a still-warm model)."""

    model: str
    last_used: float
    cached_tokens: int = 0


class SessionBinding(msgspec.Struct, frozen=True, kw_only=True):
    """What a session remembers between turns."""

    anchor_model: str
    """The model the session runs on."""
    default_model: str
    """The model the session would have stayed on had it never switched."""
    requested_model: str
    """The model the client asked for (after aliases): the lane this binding belongs to."""
    route_name: str | None = None
    prefix_hash: int | None = None
    last_used: float = 0.0
    cached_tokens: int = 0
    baseline_usd: float = 0.0
    switch_spend_usd: float = 0.0
    switches: int = 0
    history: tuple[RouteVisit, ...] = ()


class BindingStore(Protocol):
    """A session-binding backend; errors propagate (the caller fails open)."""

    async def get(self, key: str) -> SessionBinding | None: ...

    async def put(self, key: str, binding: SessionBinding, ttl_seconds: int) -> None: ...

    async def close(self) -> None: ...


class MemoryBindingStore:
    """An LRU of at most ``capacity`` bindings, each dropped ``ttl`` seconds after its store."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(capacity, 1)
        self._entries: OrderedDict[str, tuple[float, SessionBinding]] = OrderedDict()

    async def get(self, key: str) -> SessionBinding | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, binding = entry
        if time.monotonic() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return binding

    async def put(self, key: str, binding: SessionBinding, ttl_seconds: int) -> None:
        self._entries[key] = (time.monotonic() + ttl_seconds, binding)
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    async def close(self) -> None:
        self._entries.clear()


class RedisBindingStore:
    """Bindings in Redis, so every replica pointed at the same server agrees."""

    def __init__(
        self, url: str, *, timeout_seconds: float = 0.25, client: aioredis.Redis | None = None
    ) -> None:
        self._client: aioredis.Redis = client or aioredis.Redis.from_pool(
            aioredis.ConnectionPool.from_url(
                url,
                max_connections=64,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
                health_check_interval=30,
            )
        )

    @property
    def client(self) -> aioredis.Redis:
        """The Redis client (shared with the latency store)."""
        return self._client

    async def get(self, key: str) -> SessionBinding | None:
        raw = await self._client.get(REDIS_KEY_PREFIX + key)
        if raw is None or len(raw) > MAX_BINDING_BYTES:
            return None
        return msgspec.json.decode(raw, type=SessionBinding)

    async def put(self, key: str, binding: SessionBinding, ttl_seconds: int) -> None:
        value = msgspec.json.encode(binding)
        await self._client.set(REDIS_KEY_PREFIX + key, value, ex=max(ttl_seconds, 1))

    async def close(self) -> None:
        await self._client.aclose()
