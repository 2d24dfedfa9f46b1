"""Hearing the deletes of every replica: one connection LISTENing on `CHANNEL`.

Every delete brightstaff runs (`DELETE /v1/responses/{id}`, retention) notifies `CHANNEL` with
the response id in the same statement, so the notification goes out when the delete commits.
`DeletionListener` keeps one connection listening and drops each notified id from the replica's
`RecentRecords`. The records are trusted from the moment the LISTEN is in place; when the
connection fails they are forgotten and distrusted, and the listener reconnects with a backoff
(0.25 s doubling to 10 s). A database that stops answering without closing its connections
leaves an idle LISTEN connection unaware: the store calls `restart` when one of its operations
fails, so the records are distrusted until a fresh connection listens again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, LiteralString

import psycopg

from brightstaff.state.recent import RecentRecords

__all__ = ["CHANNEL", "DeletionListener"]

logger = logging.getLogger(__name__)

CHANNEL = "plano_conversation_deleted"
_LISTEN: LiteralString = "LISTEN plano_conversation_deleted"
_FIRST_BACKOFF = 0.25
_MAX_BACKOFF = 10.0


class DeletionListener:
    """Keeps `recent` in step with the deletes of every replica while it runs."""

    def __init__(
        self, connection_string: str, options: dict[str, Any], recent: RecentRecords
    ) -> None:
        self._conninfo = connection_string
        self._options = options
        self._recent = recent
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start listening in the background (once)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="state-deletions")

    def restart(self) -> None:
        """Distrust the records and listen on a new connection (unless already reconnecting)."""
        if not self._recent.trusted or self._task is None:
            return
        self._task.cancel()
        self._task = None
        self._recent.distrust()
        self.start()

    async def close(self) -> None:
        """Stop listening; the records are distrusted."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._recent.distrust()

    async def _run(self) -> None:
        backoff = _FIRST_BACKOFF
        try:
            while True:
                try:
                    await self._listen()
                except psycopg.Error as exc:
                    if self._recent.trusted:
                        logger.warning("conversation state: delete notifications lost: %s", exc)
                if self._recent.trusted:  # it was connected: the next try starts quick again
                    backoff = _FIRST_BACKOFF
                self._recent.distrust()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
        finally:
            if self._task is asyncio.current_task():  # else `restart` replaced this one
                self._recent.distrust()

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._conninfo, **self._options
        ) as connection:
            await connection.execute(_LISTEN)
            self._recent.trust()
            async for notify in connection.notifies():
                self._recent.forget(notify.payload)
