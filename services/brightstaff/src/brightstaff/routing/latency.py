"""Upstream latency per model, measured by this service, for ``prefer: fastest``.

Each sample updates an exponentially weighted moving average. With Redis configured the
average lives in the hash ``plano:latency`` (updated atomically by a script), so replicas
rank models the same way; the local average is used when Redis cannot be reached.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["LATENCY_KEY", "LatencyBook"]

logger = logging.getLogger(__name__)

LATENCY_KEY: Final = "plano:latency"
SMOOTHING: Final = 0.3
"""Weight of a new sample in the moving average."""
MAX_PENDING_WRITES: Final = 256
RETRY_SECONDS: Final = 1.0

_EWMA_SCRIPT: Final = """
local old = tonumber(redis.call("HGET", KEYS[1], ARGV[1]))
local sample = tonumber(ARGV[2])
local alpha = tonumber(ARGV[3])
local value = sample
if old then value = old * (1 - alpha) + sample * alpha end
redis.call("HSET", KEYS[1], ARGV[1], string.format("%.6f", value))
return 1
"""


class LatencyBook:
    """Moving-average latency (seconds) per model, local or shared through Redis."""

    def __init__(self, models: Mapping[str, str], client: aioredis.Redis | None = None) -> None:
        self._canonical = dict(models)
        self._local: dict[str, float] = {}
        self._client = client
        self._script = client.register_script(_EWMA_SCRIPT) if client is not None else None
        self._pending: set[asyncio.Task[None]] = set()
        self._down_until = 0.0

    def record(self, model: str, seconds: float) -> None:
        """Add a sample for a configured model (others are ignored); never blocks.

        ``models`` maps every spelling of a configured model (``gpt-4o``, the provider's
        name) to the ``provider/model`` form routing preferences use.
        """
        canonical = self._canonical.get(model)
        if canonical is None or not math.isfinite(seconds) or seconds < 0:
            return
        model = canonical
        old = self._local.get(model)
        self._local[model] = seconds if old is None else old + SMOOTHING * (seconds - old)
        if self._script is None or len(self._pending) >= MAX_PENDING_WRITES:
            return
        if time.monotonic() < self._down_until:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._share(model, seconds))
        except RuntimeError:
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _share(self, model: str, seconds: float) -> None:
        assert self._script is not None
        try:
            await self._script(keys=[LATENCY_KEY], args=[model, repr(seconds), repr(SMOOTHING)])
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + RETRY_SECONDS
            logger.debug("latency sample not shared: %s", exc)

    async def latencies(self, models: Sequence[str]) -> dict[str, float]:
        """The known average latency of each of ``models`` (missing ones have no data)."""
        if self._client is None or time.monotonic() < self._down_until:
            return {m: self._local[m] for m in models if m in self._local}
        try:
            values = await self._client.hmget(LATENCY_KEY, list(models))
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + RETRY_SECONDS
            logger.debug("shared latencies unavailable: %s", exc)
            return {m: self._local[m] for m in models if m in self._local}
        shared: dict[str, float] = {}
        for model, raw in zip(models, values, strict=True):
            value = _to_float(raw)
            if value is not None:
                shared[model] = value
            elif model in self._local:
                shared[model] = self._local[model]
        return shared

    async def close(self) -> None:
        """Wait briefly for pending shared writes."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=1.0)


def _to_float(raw: object) -> float | None:
    if not isinstance(raw, bytes | str):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
