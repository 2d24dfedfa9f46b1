"""Rate limiting shared by every replica through Redis.

One Lua script reads the bucket's TAT, applies GCRA with Redis's own clock and stores the new
TAT with an expiry, atomically, so concurrent replicas never overspend. When Redis cannot be
reached the limiter fails open (admits, logs a warning, counts the error) or, if configured,
fails closed; after a failure it stops trying for ``retry_interval`` seconds so a dead Redis
does not add its timeout to every request (one warning per outage). At most
``max_connections`` checks run at once; further requests queue for a free connection rather
than failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from plano_common.ratelimit.backend_metrics import RateLimitMetrics
from plano_common.ratelimit.decision import Decision, Outcome
from plano_common.ratelimit.rules import Match, RateLimitRule, RuleSet

__all__ = ["DEFAULT_KEY_PREFIX", "GCRA_SCRIPT", "RedisRateLimiter"]

logger = logging.getLogger(__name__)

# KEYS[1]: bucket. ARGV: microseconds per token, burst tokens, tokens requested.
# Returns {1, ""} when admitted, {0, retry_after_us} when the bucket is short, {0, ""} when
# the request can never fit. Times are microseconds from Redis TIME (exact in a double).
GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])
if tokens > burst then
  return {0, ""}
end
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then
  tat = now
end
local new_tat = tat + tokens * interval
local period = burst * interval
local excess = new_tat - now - period
if excess > period * 1e-9 then
  return {0, string.format("%.0f", excess)}
end
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1000
redis.call("SET", KEYS[1], string.format("%.0f", new_tat), "PX", ttl_ms)
return {1, ""}
"""

DEFAULT_KEY_PREFIX = "plano:ratelimit:"


class RedisRateLimiter:
    """GCRA buckets in Redis, shared by every limiter that uses the same URL and prefix."""

    def __init__(
        self,
        url: str,
        rules: Iterable[RateLimitRule],
        *,
        fail_open: bool = True,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        timeout_seconds: float = 0.5,
        retry_interval: float = 1.0,
        max_connections: int = 64,
        metrics: RateLimitMetrics | None = None,
        client: aioredis.Redis | None = None,
    ) -> None:
        self._rules = RuleSet(rules)
        self._fail_open = fail_open
        self._key_prefix = key_prefix
        self._retry_interval = retry_interval
        self._metrics = metrics if metrics is not None else RateLimitMetrics()
        self._client: aioredis.Redis = client or aioredis.Redis.from_pool(
            aioredis.ConnectionPool.from_url(
                url,
                max_connections=max_connections,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
                health_check_interval=30,
            )
        )
        self._script = self._client.register_script(GCRA_SCRIPT)
        self._slots = asyncio.Semaphore(max_connections)
        self._down_until = 0.0

    @property
    def metrics(self) -> RateLimitMetrics:
        return self._metrics

    def bucket_key(self, bucket: tuple[str, str, str]) -> str:
        """The Redis key of a bucket (unambiguous for any model or header value)."""
        return self._key_prefix + msgspec.json.encode(bucket).decode()

    async def acquire(self, model: str, headers: Mapping[str, str], tokens: int) -> Decision:
        """Check and consume ``tokens`` for the request's bucket in Redis."""
        match = self._rules.match(model, headers)
        if match is None:
            return Decision(Outcome.UNLIMITED, tokens)
        if tokens <= 0:
            return Decision(Outcome.ADMITTED, 0, match.rule, match.selector)
        try:
            async with self._slots:
                if time.monotonic() < self._down_until:
                    return self._backend_failure(match, tokens, None)
                reply = await self._run_script(match, tokens)
        except (RedisError, OSError, TimeoutError) as exc:
            now = time.monotonic()
            first_failure = now >= self._down_until
            self._down_until = now + self._retry_interval
            return self._backend_failure(match, tokens, exc if first_failure else None)
        return self._decision(match, tokens, reply)

    async def _run_script(self, match: Match, tokens: int) -> Any:
        interval_us = match.rule.seconds_per_token * 1_000_000
        return await self._script(
            keys=[self.bucket_key(match.bucket)],
            args=[repr(interval_us), match.rule.tokens, tokens],
        )

    @staticmethod
    def _decision(match: Match, tokens: int, reply: Any) -> Decision:
        admitted, retry_after_us = int(reply[0]), reply[1]
        if admitted:
            return Decision(Outcome.ADMITTED, tokens, match.rule, match.selector)
        if not retry_after_us:
            return Decision(Outcome.EXCEEDS_BURST, tokens, match.rule, match.selector)
        retry_after = int(retry_after_us) / 1_000_000
        return Decision(Outcome.EXHAUSTED, tokens, match.rule, match.selector, retry_after)

    def _backend_failure(self, match: Match, tokens: int, exc: BaseException | None) -> Decision:
        outcome = Outcome.BACKEND_FAILED_OPEN if self._fail_open else Outcome.BACKEND_FAILED_CLOSED
        self._metrics.backend_errors.labels("redis", outcome.value).inc()
        if exc is not None:
            logger.warning(
                "rate limit backend redis unreachable (%s: %s); %s requests for %ss",
                type(exc).__name__,
                exc,
                "admitting" if self._fail_open else "rejecting",
                self._retry_interval,
            )
        retry_after = None if self._fail_open else self._retry_interval
        return Decision(outcome, tokens, match.rule, match.selector, retry_after)

    async def aclose(self) -> None:
        """Close the Redis connection pool."""
        await self._client.aclose()
