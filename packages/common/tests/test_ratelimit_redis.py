"""Redis rate limits: shared budget across replicas, fail open / fail closed."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from plano_common.ratelimit import (
    SELECTOR_HEADER,
    InProcessRateLimiter,
    Outcome,
    RateLimiter,
    RateLimitMetrics,
    RateLimitRule,
    RedisRateLimiter,
    TimeUnit,
)

LIMIT = 100
RULE = RateLimitRule(model="gpt-4o", selector_key="x-user", tokens=LIMIT, unit=TimeUnit.HOUR)
HEADERS = {SELECTOR_HEADER: "x-user", "x-user": "tenant-a"}
REPLICAS = 3
REQUESTS_PER_REPLICA = 120
CONCURRENCY = 40


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    key_prefix = f"test:ratelimit:{uuid.uuid4().hex}:"
    yield key_prefix
    client = aioredis.Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(match=key_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _replica(make: Callable[[], RateLimiter]) -> int:
    """One gateway replica: its own event loop, limiter and connection; returns admissions."""

    async def run() -> int:
        limiter = make()
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one() -> bool:
            async with gate:
                return (await limiter.acquire("gpt-4o", HEADERS, 1)).allowed

        try:
            results = await asyncio.gather(*(one() for _ in range(REQUESTS_PER_REPLICA)))
        finally:
            await limiter.aclose()
        return sum(results)

    return asyncio.run(run())


def _hammer(make: Callable[[], RateLimiter]) -> list[int]:
    admitted = [0] * REPLICAS
    barrier = threading.Barrier(REPLICAS)

    def worker(index: int) -> None:
        barrier.wait()
        admitted[index] = _replica(make)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(REPLICAS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return admitted


async def _in_thread(func: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func)


async def test_replicas_share_one_budget_through_redis(redis_url: str, prefix: str) -> None:
    admitted = await _in_thread(
        lambda: _hammer(
            # A generous timeout: this test is about sharing a budget, not about a slow machine.
            lambda: RedisRateLimiter(redis_url, [RULE], key_prefix=prefix, timeout_seconds=10.0)
        )
    )
    total = sum(admitted)
    # The limit, plus at most one token refilled (one per 36 s) during the test.
    assert LIMIT <= total <= LIMIT + 1, admitted


async def test_in_process_replicas_each_spend_the_full_budget() -> None:
    admitted = await _in_thread(lambda: _hammer(lambda: InProcessRateLimiter([RULE])))
    assert admitted == [LIMIT] * REPLICAS  # 3x the configured limit: why replicas need Redis


async def test_redis_sequences_match_in_process(redis_url: str, prefix: str) -> None:
    rules = [
        RateLimitRule(model="p", selector_key="only-key", tokens=100, unit=TimeUnit.HOUR),
        RateLimitRule(
            model="p", selector_key="key", selector_value="value", tokens=200, unit=TimeUnit.HOUR
        ),
    ]
    limiter = RedisRateLimiter(redis_url, rules, key_prefix=prefix)

    async def allowed(header: str, value: str, tokens: int, model: str = "p") -> bool:
        headers = {SELECTOR_HEADER: header, header: value}
        return (await limiter.acquire(model, headers, tokens)).allowed

    assert await allowed("only-key", "value1", 50)
    assert await allowed("only-key", "value2", 60)
    assert not await allowed("only-key", "value1", 70)
    assert not await allowed("key", "value", 5000)
    assert await allowed("key", "value", 200)
    assert not await allowed("key", "value", 1)
    assert await allowed("key", "other", 5000)
    assert await allowed("key", "value", 5000, model="unknown")
    decision = await limiter.acquire("p", {SELECTOR_HEADER: "only-key", "only-key": "value2"}, 50)
    assert decision.outcome is Outcome.EXHAUSTED
    assert decision.retry_after_seconds is not None
    assert 10 * 36 - 1 <= decision.retry_after_seconds <= 10 * 36
    zero = await limiter.acquire("p", {SELECTOR_HEADER: "key", "key": "value"}, 0)
    assert zero.allowed
    burst = await limiter.acquire("p", {SELECTOR_HEADER: "only-key", "only-key": "v9"}, 101)
    assert burst.outcome is Outcome.EXCEEDS_BURST and burst.retry_after_seconds is None
    await limiter.aclose()


async def test_bucket_keys_expire(redis_url: str, prefix: str) -> None:
    rule = RateLimitRule(model="m", selector_key="k", tokens=10, unit=TimeUnit.MINUTE)
    limiter = RedisRateLimiter(redis_url, [rule], key_prefix=prefix)
    await limiter.acquire("m", {SELECTOR_HEADER: "k", "k": "v"}, 5)
    client = aioredis.Redis.from_url(redis_url)
    ttl_ms = await client.pttl(limiter.bucket_key(("m", "k", "v")))
    await client.aclose()
    await limiter.aclose()
    assert 30_000 < ttl_ms <= 31_000


def _unreachable_limiter(**kwargs: Any) -> RedisRateLimiter:
    return RedisRateLimiter(
        "redis://127.0.0.1:1/0", [RULE], timeout_seconds=0.2, retry_interval=60, **kwargs
    )


async def test_unreachable_redis_fails_open_with_warning_and_metric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = RateLimitMetrics()
    limiter = _unreachable_limiter(metrics=metrics)
    with caplog.at_level(logging.WARNING, logger="plano_common.ratelimit.redis_backend"):
        first = await limiter.acquire("gpt-4o", HEADERS, 10)
        second = await limiter.acquire("gpt-4o", HEADERS, 10)
    assert first.allowed and first.outcome is Outcome.BACKEND_FAILED_OPEN
    assert second.allowed
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    count = metrics.registry.get_sample_value(
        "plano_ratelimit_backend_errors_total",
        {"backend": "redis", "outcome": "backend_failed_open"},
    )
    assert count == 2
    unlimited = await limiter.acquire("other-model", HEADERS, 10)
    assert unlimited.outcome is Outcome.UNLIMITED
    await limiter.aclose()


async def test_unreachable_redis_fails_closed_when_configured() -> None:
    limiter = _unreachable_limiter(fail_open=False)
    decision = await limiter.acquire("gpt-4o", HEADERS, 10)
    assert not decision.allowed
    assert decision.outcome is Outcome.BACKEND_FAILED_CLOSED
    assert decision.to_error().status == 503
    await limiter.aclose()


async def test_more_concurrent_requests_than_connections_queue_instead_of_failing(
    redis_url: str, prefix: str
) -> None:
    rule = RateLimitRule(model="m", selector_key="k", tokens=10_000, unit=TimeUnit.HOUR)
    metrics = RateLimitMetrics()
    limiter = RedisRateLimiter(
        redis_url, [rule], key_prefix=prefix, max_connections=4, metrics=metrics
    )
    decisions = await asyncio.gather(
        *(limiter.acquire("m", {SELECTOR_HEADER: "k", "k": "v"}, 1) for _ in range(200))
    )
    await limiter.aclose()
    assert {d.outcome for d in decisions} == {Outcome.ADMITTED}
    assert metrics.registry.get_sample_value(
        "plano_ratelimit_backend_errors_total",
        {"backend": "redis", "outcome": "backend_failed_open"},
    ) in (None, 0)


async def test_enforced_default_bucket_is_shared_through_redis(redis_url: str, prefix: str) -> None:
    rule = RateLimitRule(
        model="gpt-4o",
        selector_key="x-user",
        tokens=10,
        unit=TimeUnit.HOUR,
        enforce=True,
        default_value="anonymous",
    )
    limiters = [RedisRateLimiter(redis_url, [rule], key_prefix=prefix) for _ in range(2)]
    try:
        first = await limiters[0].acquire("gpt-4o", {}, 6)
        second = await limiters[1].acquire("gpt-4o", {SELECTOR_HEADER: "x-other"}, 6)
    finally:
        for limiter in limiters:
            await limiter.aclose()
    assert first.outcome is Outcome.ADMITTED
    assert second.outcome is Outcome.EXHAUSTED
    assert str(second.selector) == "x-user:anonymous"
