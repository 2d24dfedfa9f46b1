"""The PostgreSQL store's cache of recent conversations, on the machine's real database: a
replica serves what it wrote or read from memory, hears every replica's deletes, and stops
using the cache the moment it could miss one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from brightstaff.state.deletions import CHANNEL
from brightstaff.state.postgres import PostgresStore
from brightstaff.state.store import ConversationRecord, StoreUnavailableError


def record(response_id: str, text: str = "hi", created_at: int = 100) -> ConversationRecord:
    items: list[dict[str, Any]] = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    ]
    return ConversationRecord(response_id, items, created_at, "claude", "anthropic")


async def caching(store: PostgresStore) -> PostgresStore:
    """`store` once its delete listener is up."""
    await store.start()
    deadline = time.monotonic() + 10
    while not store.caching:
        assert time.monotonic() < deadline, "the delete listener never connected"
        await asyncio.sleep(0.01)
    return store


async def eventually_none(store: PostgresStore, response_id: str) -> None:
    deadline = time.monotonic() + 5
    while await store.get(response_id) is not None:
        assert time.monotonic() < deadline, f"{response_id} still served"
        await asyncio.sleep(0.01)


def sql(url: str, statement: str, *params: Any) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement, params)


@pytest.fixture
async def two_replicas(pg_schema: tuple[str, str]) -> AsyncIterator[list[PostgresStore]]:
    stores = [PostgresStore(pg_schema[1], timeout_seconds=5, cache_bytes=1 << 20) for _ in "ab"]
    try:
        yield [await caching(store) for store in stores]
    finally:
        for store in stores:
            await store.close()


async def test_a_replica_serves_what_it_wrote_from_memory(
    two_replicas: list[PostgresStore], pg_schema: tuple[str, str]
) -> None:
    a, _ = two_replicas
    await a.put(record("resp_1", "kept"))
    # Gone from the table without a notification (by hand): the cache still has it, and it is
    # a fresh copy every time.
    sql(pg_schema[1], "DELETE FROM conversation_states")
    first = await a.get("resp_1")
    assert first == record("resp_1", "kept")
    assert first is not None
    first.input_items.clear()
    assert await a.get("resp_1") == record("resp_1", "kept")


async def test_cache_stats_count_what_was_served_from_memory(
    two_replicas: list[PostgresStore],
) -> None:
    a, b = two_replicas
    await a.put(record("resp_1"))
    assert await a.get("resp_1") is not None  # hit
    assert await a.get("resp_unknown") is None  # miss: read from the database
    assert await b.get("resp_1") is not None  # miss on b, which keeps it now
    assert await b.get("resp_1") is not None  # hit
    stats_a, stats_b = a.cache_stats(), b.cache_stats()
    assert stats_a is not None and (stats_a.hits, stats_a.misses) == (1, 1)
    assert stats_b is not None and (stats_b.hits, stats_b.misses) == (1, 1)
    assert stats_a.in_use and stats_a.bytes > 0


async def test_deletes_on_one_replica_reach_the_other(two_replicas: list[PostgresStore]) -> None:
    a, b = two_replicas
    await a.put(record("resp_1"))
    assert await b.get("resp_1") == record("resp_1")  # b keeps what it read
    assert await a.delete("resp_1") is True
    assert await a.get("resp_1") is None
    await eventually_none(b, "resp_1")


async def test_a_notification_sent_by_hand_is_heard(
    two_replicas: list[PostgresStore], pg_schema: tuple[str, str]
) -> None:
    a, _ = two_replicas
    await a.put(record("resp_1"))
    sql(pg_schema[1], "DELETE FROM conversation_states")
    assert await a.get("resp_1") is not None
    sql(pg_schema[1], "SELECT pg_notify(%s, %s)", CHANNEL, "resp_1")
    await eventually_none(a, "resp_1")


async def test_retention_deletes_reach_every_cache(two_replicas: list[PostgresStore]) -> None:
    a, b = two_replicas
    await a.put(record("resp_old", created_at=100))
    await a.put(record("resp_new", created_at=10_000))
    assert await b.get("resp_old") is not None
    assert await b.delete_older_than(1000) == 1
    await eventually_none(a, "resp_old")
    await eventually_none(b, "resp_old")
    assert await a.get("resp_new") == record("resp_new", created_at=10_000)


async def test_a_lost_listener_stops_the_cache_until_it_is_back(
    proxied_schema_url: str, pg_proxy: Any
) -> None:
    store = await caching(PostgresStore(proxied_schema_url, timeout_seconds=2, cache_bytes=1 << 20))
    try:
        await store.put(record("resp_1"))
        pg_proxy.stop()  # every connection cut, the listener's included
        deadline = time.monotonic() + 5
        while store.caching:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        stats = store.cache_stats()
        assert stats is not None and not stats.in_use and stats.bytes == 0
        # A delete could now go unheard: the record is not served from memory.
        with pytest.raises(StoreUnavailableError):
            await store.get("resp_1")
        pg_proxy.start()
        await caching(store)
        assert await store.get("resp_1") == record("resp_1")
    finally:
        await store.close()


async def test_without_a_cache_every_read_goes_to_the_database(
    pg_schema: tuple[str, str],
) -> None:
    store = PostgresStore(pg_schema[1], timeout_seconds=5)
    try:
        await store.start()
        await store.put(record("resp_1"))
        assert not store.caching and store.cache_stats() is None
        sql(pg_schema[1], "DELETE FROM conversation_states")
        assert await store.get("resp_1") is None
    finally:
        await store.close()


async def test_a_stalled_database_stops_the_cache_at_the_first_failure(
    proxied_schema_url: str, pg_proxy: Any
) -> None:
    store = await caching(PostgresStore(proxied_schema_url, timeout_seconds=1, cache_bytes=1 << 20))
    try:
        await store.put(record("resp_1"))
        pg_proxy.pause()  # connections stay open, nothing is answered: the listener cannot tell
        try:
            assert await store.get("resp_1") == record("resp_1")
            with pytest.raises(StoreUnavailableError):
                await store.put(record("resp_2"))
            assert not store.caching
            with pytest.raises(StoreUnavailableError):
                await store.get("resp_1")
        finally:
            pg_proxy.resume()
        await caching(store)
        assert await store.get("resp_1") == record("resp_1")
    finally:
        await store.close()


async def test_a_refused_value_leaves_the_cache_in_use(two_replicas: list[PostgresStore]) -> None:
    a, _ = two_replicas
    await a.put(record("resp_1"))
    with pytest.raises(StoreUnavailableError):
        await a.put(record("resp_nul", "a\x00b"))  # JSONB holds no NUL character
    assert a.caching
    assert await a.get("resp_1") == record("resp_1")
