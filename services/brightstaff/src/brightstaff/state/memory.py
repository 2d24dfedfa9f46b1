"""The in-process store: bounded by entry count (least recently used first) and by idle time.

Histories are kept encoded, so no later change to a request body can reach a stored record;
each read decodes a fresh copy. Everything runs on the event loop without awaiting, so every
operation is atomic with respect to concurrent requests.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec

from brightstaff.state.encoded import EncodedRecord
from brightstaff.state.store import ConversationRecord

__all__ = ["MemoryStore"]

_encode = msgspec.json.encode


class MemoryStore:
    """A bounded in-memory `StateStore` (one process; lost on restart)."""

    def __init__(
        self,
        *,
        max_entries: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, EncodedRecord] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def start(self) -> None:
        """Nothing to prepare."""

    async def close(self) -> None:
        """Forget every record."""
        self._entries.clear()

    async def get(self, response_id: str) -> ConversationRecord | None:
        """The record, refreshing its idle timer; None when unknown or expired."""
        entry = self._entries.get(response_id)
        if entry is None:
            return None
        now = self._clock()
        if entry.expires_at <= now:
            del self._entries[response_id]
            return None
        entry.expires_at = now + self.ttl_seconds
        self._entries.move_to_end(response_id)
        return entry.decode(response_id)

    async def put(self, record: ConversationRecord) -> None:
        """Store a record, dropping expired and least recently used ones beyond the bound."""
        now = self._clock()
        self._entries[record.response_id] = EncodedRecord(
            _encode(record.input_items),
            record.created_at,
            record.model,
            record.provider,
            now + self.ttl_seconds,
        )
        self._entries.move_to_end(record.response_id)
        self._evict(now)

    async def delete(self, response_id: str) -> bool:
        """Delete a record; False when it was unknown."""
        return self._entries.pop(response_id, None) is not None

    async def delete_older_than(self, created_before: int) -> int:
        """Delete records created before a Unix time."""
        old = [key for key, entry in self._entries.items() if entry.created_at < created_before]
        for key in old:
            del self._entries[key]
        return len(old)

    def _evict(self, now: float) -> None:
        entries = self._entries
        while len(entries) > self.max_entries:
            entries.popitem(last=False)
        # The least recently used entry expires first: stop at the first live one.
        while entries:
            oldest = next(iter(entries.values()))
            if oldest.expires_at > now:
                break
            entries.popitem(last=False)
