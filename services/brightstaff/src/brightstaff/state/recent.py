"""Recent conversations kept in the process, so a follow-up turn skips the database read.

A stored turn never changes: the next turn is stored under a new response id. A record this
replica wrote or read is therefore still right later, unless it was deleted, and can be served
again from memory. Deletes reach every replica as PostgreSQL notifications
(`deletions.DeletionListener`), and the records are trusted only while that listener is
connected: before it is, and from the moment it fails until it is back, every read goes to the
database.

A read or write that started before a delete was heard must not put the deleted record back:
each one notes the cache's `epoch` when it starts and `remember` ignores it when a delete (or a
lost listener) came in between.

Bounded by the bytes of the kept histories (least recently used first) and by age: a record is
dropped `ttl_seconds` after it was kept, which also bounds how long a row deleted by other means
than brightstaff (by hand, another program) can still be served.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from brightstaff.state.encoded import EncodedRecord
from brightstaff.state.store import ConversationRecord

__all__ = ["CacheStats", "RecentRecords"]

_ENTRY_OVERHEAD = 256  # bytes counted per entry besides its history
_LARGEST_SHARE = 16  # a history over 1/16 of the bound is not kept


@dataclass(slots=True)
class _Entry(EncodedRecord):
    size: int


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A cache's figures at one moment."""

    hits: int
    misses: int
    bytes: int
    in_use: bool


class RecentRecords:
    """Records by response id, bounded in bytes and age; trusted only while told so."""

    def __init__(
        self,
        *,
        max_bytes: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.epoch = 0
        """Changes whenever a record may have been deleted behind the cache's back."""
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._trusted = False
        self._hits = 0
        self._misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def trusted(self) -> bool:
        """True while every delete is heard (the listener is connected)."""
        return self._trusted

    def stats(self) -> CacheStats:
        """Lookups served (hits) and not (misses) since start, bytes kept, whether trusted."""
        return CacheStats(self._hits, self._misses, self._bytes, self._trusted)

    def trust(self) -> None:
        """Deletes are heard from now on: start keeping records (the cache starts empty)."""
        self.distrust()
        self._trusted = True

    def distrust(self) -> None:
        """Deletes may go unheard: forget everything and keep nothing until `trust`."""
        self._trusted = False
        self.epoch += 1
        self._entries.clear()
        self._bytes = 0

    def get(self, response_id: str) -> ConversationRecord | None:
        """A fresh copy of a kept record, or None."""
        entry = self._entries.get(response_id)
        if entry is None:
            self._misses += 1
            return None
        if entry.expires_at <= self._clock():
            self._drop(response_id)
            self._misses += 1
            return None
        self._hits += 1
        self._entries.move_to_end(response_id)
        return entry.decode(response_id)

    def remember(self, record: ConversationRecord, items_json: bytes, *, since_epoch: int) -> None:
        """Keep a record read or written by an operation that started at `since_epoch`."""
        size = len(items_json) + _ENTRY_OVERHEAD
        if not self._trusted or since_epoch != self.epoch:
            return
        if size * _LARGEST_SHARE > self.max_bytes:
            return
        self._drop(record.response_id)
        self._entries[record.response_id] = _Entry(
            items_json,
            record.created_at,
            record.model,
            record.provider,
            self._clock() + self.ttl_seconds,
            size,
        )
        self._bytes += size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def forget(self, response_id: str) -> None:
        """A record was deleted: drop it, and keep no read or write already under way."""
        self.epoch += 1
        self._drop(response_id)

    def _drop(self, response_id: str) -> None:
        entry = self._entries.pop(response_id, None)
        if entry is not None:
            self._bytes -= entry.size
