"""The bounded in-memory store."""

from __future__ import annotations

from brightstaff.state.memory import MemoryStore
from brightstaff.state.store import ConversationRecord


def record(response_id: str, text: str = "hi", created_at: int = 100) -> ConversationRecord:
    items = [{"type": "message", "role": "user", "content": text}]
    return ConversationRecord(response_id, items, created_at, "m", "p")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_put_get_delete() -> None:
    store = MemoryStore(max_entries=10, ttl_seconds=60)
    await store.put(record("a"))
    assert await store.get("a") == record("a")
    assert await store.get("b") is None
    await store.put(record("a", "again"))
    got = await store.get("a")
    assert got is not None and got.input_items[0]["content"] == "again"
    assert await store.delete("a") is True
    assert await store.delete("a") is False
    assert await store.get("a") is None


async def test_records_are_copies() -> None:
    store = MemoryStore(max_entries=10, ttl_seconds=60)
    original = record("a")
    await store.put(original)
    original.input_items.append({"type": "message", "role": "user", "content": "later"})
    got = await store.get("a")
    assert got is not None and len(got.input_items) == 1
    got.input_items.clear()
    again = await store.get("a")
    assert again is not None and len(again.input_items) == 1


async def test_least_recently_used_entries_go_beyond_the_bound() -> None:
    store = MemoryStore(max_entries=3, ttl_seconds=60)
    for name in "abc":
        await store.put(record(name))
    assert await store.get("a") is not None  # a is now the most recently used
    await store.put(record("d"))
    assert len(store) == 3
    assert await store.get("b") is None
    assert {n for n in "acd" if await store.get(n) is not None} == {"a", "c", "d"}


async def test_idle_entries_expire() -> None:
    clock = Clock()
    store = MemoryStore(max_entries=100, ttl_seconds=10, clock=clock)
    await store.put(record("a"))
    await store.put(record("b"))
    clock.now = 8
    assert await store.get("a") is not None  # refreshed until 18
    clock.now = 12
    assert await store.get("b") is None
    assert await store.get("a") is not None
    clock.now = 30
    await store.put(record("c"))  # a put drops every expired entry
    assert len(store) == 1


async def test_delete_older_than() -> None:
    store = MemoryStore(max_entries=10, ttl_seconds=60)
    await store.put(record("old", created_at=10))
    await store.put(record("new", created_at=1000))
    assert await store.delete_older_than(500) == 1
    assert await store.get("old") is None and await store.get("new") is not None
