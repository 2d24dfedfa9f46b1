"""The in-process cache of recent conversations (no database)."""

from __future__ import annotations

import msgspec

from brightstaff.state.recent import RecentRecords
from brightstaff.state.store import ConversationRecord


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(response_id: str, text: str = "hi") -> tuple[ConversationRecord, bytes]:
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]
    return ConversationRecord(response_id, items, 7, "claude", "anthropic"), msgspec.json.encode(
        items
    )


def trusted(max_bytes: int = 1 << 20, clock: Clock | None = None) -> RecentRecords:
    recent = RecentRecords(max_bytes=max_bytes, ttl_seconds=60, clock=clock or Clock())
    recent.trust()
    return recent


def test_a_kept_record_comes_back_as_a_fresh_copy() -> None:
    recent = trusted()
    kept, items_json = record("a")
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    first, second = recent.get("a"), recent.get("a")
    assert first == kept and second == kept
    assert first is not None and second is not None
    first.input_items.append({"changed": True})
    assert second.input_items == kept.input_items
    assert recent.get("unknown") is None


def test_nothing_is_kept_until_trusted_nor_after_distrust() -> None:
    recent = RecentRecords(max_bytes=1 << 20, ttl_seconds=60)
    kept, items_json = record("a")
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert len(recent) == 0 and not recent.trusted
    recent.trust()
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert recent.get("a") == kept
    recent.distrust()
    assert recent.get("a") is None
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert len(recent) == 0


def test_an_operation_that_overlapped_a_delete_is_not_kept() -> None:
    recent = trusted()
    kept, items_json = record("a")
    started = recent.epoch
    recent.forget("a")  # a delete heard while the read or write was under way
    recent.remember(kept, items_json, since_epoch=started)
    assert recent.get("a") is None
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert recent.get("a") == kept
    recent.forget("a")
    assert recent.get("a") is None


def test_bounded_by_bytes_least_recently_used_first() -> None:
    _, items_json = record("x")
    size = len(items_json) + 256
    recent = trusted(max_bytes=size * 16)  # 16 entries fit; larger ones are never kept
    for n in range(16):
        kept, items_json = record(f"r{n:02d}")
        recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert recent.get("r00") is not None  # now the most recently used
    kept, items_json = record("r16")
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert len(recent) == 16
    assert recent.get("r01") is None and recent.get("r00") is not None
    big, big_json = record("big", "x" * size)
    recent.remember(big, big_json, since_epoch=recent.epoch)
    assert recent.get("big") is None and len(recent) == 16


def test_records_expire_after_the_ttl() -> None:
    clock = Clock()
    recent = trusted(clock=clock)
    kept, items_json = record("a")
    recent.remember(kept, items_json, since_epoch=recent.epoch)
    clock.now += 59
    assert recent.get("a") == kept
    clock.now += 1
    assert recent.get("a") is None and len(recent) == 0


def test_remembering_again_replaces_without_double_counting() -> None:
    recent = trusted(max_bytes=(len(record("a")[1]) + 256) * 16)
    for _ in range(100):
        kept, items_json = record("a")
        recent.remember(kept, items_json, since_epoch=recent.epoch)
    for n in range(15):
        kept, items_json = record(f"b{n}")
        recent.remember(kept, items_json, since_epoch=recent.epoch)
    assert len(recent) == 16 and recent.get("a") is not None
