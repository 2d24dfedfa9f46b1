"""The PostgreSQL store on the machine's real database, each test in its own schema."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest

from brightstaff.state.postgres import PostgresStore
from brightstaff.state.store import ConversationRecord, StoreUnavailableError
from plano_testkit.shared_fixtures import require_shared


def record(response_id: str, *texts: str, created_at: int = 100) -> ConversationRecord:
    items: list[dict[str, Any]] = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]}
        for t in texts or ("hi",)
    ]
    return ConversationRecord(response_id, items, created_at, "claude", "anthropic")


def columns(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'conversation_states' AND table_schema = current_schema() "
            "ORDER BY ordinal_position"
        ).fetchall()
    return [(str(name), str(kind)) for name, kind in rows]


def indexes(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        ).fetchall()
    return {str(name) for (name,) in rows}


EXPECTED_COLUMNS = [
    ("response_id", "text"),
    ("input_items", "jsonb"),
    ("created_at", "bigint"),
    ("model", "text"),
    ("provider", "text"),
    ("updated_at", "timestamp without time zone"),
]


async def test_creates_the_table_on_an_empty_schema(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    store = PostgresStore(url, timeout_seconds=5)
    try:
        await store.start()
        assert columns(url) == EXPECTED_COLUMNS
        assert {
            "conversation_states_pkey",
            "idx_conversation_states_created_at",
            "idx_conversation_states_provider",
        } <= indexes(url)
        await store.put(record("resp_1", "hello"))
        assert await store.get("resp_1") == record("resp_1", "hello")
    finally:
        await store.close()


async def test_uses_a_table_created_by_the_published_sql(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    ddl = require_shared("fixtures/conversation_states.sql").read_text()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(ddl.encode())
        connection.execute(
            "INSERT INTO conversation_states "
            "(response_id, input_items, created_at, model, provider) VALUES "
            "('resp_old', '[{\"role\": \"user\", \"content\": \"from before\"}]', 5, 'm', 'p')"
        )
    before = columns(url)
    store = PostgresStore(url, timeout_seconds=5)
    try:
        await store.start()
        old = await store.get("resp_old")
        assert old is not None and old.input_items == [{"role": "user", "content": "from before"}]
        await store.put(record("resp_2", "a", "b"))
        assert await store.get("resp_2") == record("resp_2", "a", "b")
    finally:
        await store.close()
    assert columns(url) == before == EXPECTED_COLUMNS


async def test_replicas_starting_together_create_the_table_once(
    pg_schema: tuple[str, str],
) -> None:
    _, url = pg_schema
    stores = [PostgresStore(url, timeout_seconds=10) for _ in range(6)]
    try:
        await asyncio.gather(*(store.start() for store in stores))
        await asyncio.gather(*(s.put(record(f"resp_{i}")) for i, s in enumerate(stores)))
        for i in range(6):
            assert await stores[0].get(f"resp_{i}") is not None
    finally:
        await asyncio.gather(*(store.close() for store in stores))
    assert columns(url) == EXPECTED_COLUMNS


async def test_upsert_delete_and_retention(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    store = PostgresStore(url, timeout_seconds=5)
    try:
        await store.put(record("resp_1", "one", created_at=10))
        await store.put(record("resp_1", "one", "two", created_at=20))
        assert await store.get("resp_1") == record("resp_1", "one", "two", created_at=20)
        assert await store.get("resp_missing") is None
        assert await store.delete("resp_1") is True
        assert await store.delete("resp_1") is False
        now = int(time.time())
        for i in range(5):
            await store.put(record(f"old_{i}", created_at=now - 10 * 86400))
        await store.put(record("new", created_at=now))
        assert await store.delete_older_than(now - 86400) == 5
        assert await store.get("new") is not None
    finally:
        await store.close()


async def test_concurrent_operations_and_a_refused_value(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    store = PostgresStore(url, timeout_seconds=5)
    try:
        await store.start()
        records = [record(f"resp_{i}", f"text {i}") for i in range(40)]
        refused = record("resp_nul", "a\x00b")  # JSONB holds no NUL character
        writes = [*records[:20], refused, *records[20:]]
        outcomes = await asyncio.gather(*map(store.put, writes), return_exceptions=True)
        assert isinstance(outcomes.pop(20), StoreUnavailableError)
        assert outcomes == [None] * 40
        ids = [r.response_id for r in records] + ["resp_nul", "resp_unknown"]
        assert await asyncio.gather(*map(store.get, ids)) == [*records, None, None]
        first, second = await asyncio.gather(store.get("resp_1"), store.get("resp_1"))
        assert first == second and first is not None and second is not None
        assert first.input_items is not second.input_items
    finally:
        await store.close()


async def test_a_dropped_table_is_created_again(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    store = PostgresStore(url, timeout_seconds=5)
    try:
        await store.put(record("resp_1"))
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("DROP TABLE conversation_states")
        assert await store.get("resp_1") is None
        await store.put(record("resp_2"))
        assert await store.get("resp_2") is not None
    finally:
        await store.close()


async def test_unreachable_database_fails_fast_then_recovers(
    proxied_schema_url: str, pg_proxy: Any
) -> None:
    store = PostgresStore(proxied_schema_url, timeout_seconds=1)
    try:
        await store.put(record("resp_1", "before"))
        pg_proxy.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            await store.get("resp_1")
        with pytest.raises(StoreUnavailableError):
            await store.put(record("resp_2"))
        assert time.monotonic() - started < 10
        pg_proxy.start()
        deadline = time.monotonic() + 15
        while True:
            try:
                got = await store.get("resp_1")
                break
            except StoreUnavailableError:
                assert time.monotonic() < deadline, "the store did not recover"
                await asyncio.sleep(0.2)
        assert got == record("resp_1", "before")
        assert await store.get("resp_2") is None
    finally:
        await store.close()


async def test_a_database_down_at_start_up_is_not_fatal(
    proxied_schema_url: str, pg_proxy: Any
) -> None:
    pg_proxy.stop()
    store = PostgresStore(proxied_schema_url, timeout_seconds=0.5)
    try:
        await store.start()
        with pytest.raises(StoreUnavailableError):
            await store.get("resp_1")
        pg_proxy.start()
        deadline = time.monotonic() + 15
        while True:
            try:
                await store.put(record("resp_1"))
                break
            except StoreUnavailableError:
                assert time.monotonic() < deadline, "the store did not recover"
                await asyncio.sleep(0.2)
        assert await store.get("resp_1") == record("resp_1")
    finally:
        await store.close()


async def test_connections_cut_while_idle_cost_no_failure(
    proxied_schema_url: str, pg_proxy: Any
) -> None:
    store = PostgresStore(proxied_schema_url, timeout_seconds=5)
    try:
        await asyncio.gather(*(store.put(record(f"resp_{i}")) for i in range(8)))
        pg_proxy.stop()  # every pooled connection is cut, as by a database restart
        pg_proxy.start()
        assert await store.get("resp_3") == record("resp_3")
    finally:
        await store.close()


async def test_large_histories_are_compressed_with_lz4(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    store = PostgresStore(url, timeout_seconds=5)
    try:
        await store.put(record("resp_big", *(f"message {n} " * 40 for n in range(40))))
    finally:
        await store.close()
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT pg_column_compression(input_items) FROM conversation_states"
        ).fetchone()
    assert row == ("lz4",)
