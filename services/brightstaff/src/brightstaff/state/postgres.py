"""The PostgreSQL store: psycopg 3 async through a small connection pool.

- Every operation is one statement in autocommit mode, so a turn's history is written by a
  single upsert and no reader ever sees half of it.
- Unless `synchronous_commit` is asked for, sessions commit asynchronously: a commit is visible
  to every replica at once but returns before the disk flush (a few milliseconds on most disks,
  paid at the end of every stateful reply otherwise); a database crash may then lose the turns
  of its last fraction of a second, never part of one.
- Every operation runs under one deadline (`timeout_seconds`, connection wait included) and
  raises `StoreUnavailableError` when it is missed or the database fails.
- A connection that breaks (database restarted, network cut) is dropped by the pool, the idle
  ones are tested, and the operation is tried once more; the pool reconnects in the
  background, so the store recovers without a restart.
- The pool opens at start-up (or on first use) and the table is created then when missing
  (`schema.ensure_table`); when the database is down then, or the table disappears later,
  creation is retried before the next operation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, LiteralString, TypeVar

import msgspec
import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from brightstaff.state.schema import ensure_table
from brightstaff.state.store import ConversationRecord, StoreUnavailableError

__all__ = ["PostgresStore"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
Connection = AsyncConnection[Any]

_decode_items = msgspec.json.Decoder(list[dict[str, Any]]).decode
_SELECT: LiteralString = (
    "SELECT input_items::text, created_at, model, provider "
    "FROM conversation_states WHERE response_id = %s"
)
_UPSERT: LiteralString = (
    "INSERT INTO conversation_states (response_id, input_items, created_at, model, provider) "
    "VALUES (%s, %s::jsonb, %s, %s, %s) ON CONFLICT (response_id) DO UPDATE SET "
    "input_items = EXCLUDED.input_items, created_at = EXCLUDED.created_at, "
    "model = EXCLUDED.model, provider = EXCLUDED.provider, updated_at = CURRENT_TIMESTAMP"
)
_DELETE: LiteralString = "DELETE FROM conversation_states WHERE response_id = %s"
_DELETE_OLD: LiteralString = (
    "DELETE FROM conversation_states WHERE response_id IN (SELECT response_id "
    "FROM conversation_states WHERE created_at < %s LIMIT %s)"
)
_PURGE_BATCH = 1000
_ATTEMPTS = 2
_DEFAULT_CONNECT_TIMEOUT = 5
_MAX_POOL = 10
# The pool's reconnection backoff doubles up to this bound; after it the next request starts a
# fresh attempt at once, so recovery after a long outage is quick.
_RECONNECT_SECONDS = 10.0


class PostgresStore:
    """A `StateStore` on the `conversation_states` table."""

    def __init__(
        self, connection_string: str, *, timeout_seconds: float, synchronous_commit: bool = False
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self._pool = AsyncConnectionPool(
            connection_string,
            kwargs=_connection_options(connection_string),
            configure=None if synchronous_commit else _asynchronous_commit,
            min_size=1,
            max_size=_MAX_POOL,
            open=False,
            name="plano-state",
            reconnect_timeout=_RECONNECT_SECONDS,
        )
        self._opened = False
        self._table_ready = False

    async def start(self) -> None:
        """Open the pool and create the table when missing; a failure is logged, not raised."""
        try:
            await self._run(_noop)
        except StoreUnavailableError as exc:
            logger.warning("conversation state database not ready at start-up: %s", exc)

    async def close(self) -> None:
        """Close every connection."""
        if self._opened:
            await self._pool.close()

    async def get(self, response_id: str) -> ConversationRecord | None:
        """The record of a response, or None."""

        async def select(connection: Connection) -> ConversationRecord | None:
            cursor = await connection.execute(_SELECT, (response_id,))
            row = await cursor.fetchone()
            if row is None:
                return None
            items_json, created_at, model, provider = row
            return ConversationRecord(
                response_id=response_id,
                input_items=_decode_items(items_json),
                created_at=int(created_at),
                model=str(model),
                provider=str(provider),
            )

        return await self._run(select)

    async def put(self, record: ConversationRecord) -> None:
        """Insert or replace a record with one statement."""
        items_json = msgspec.json.encode(record.input_items).decode()
        values = (record.response_id, items_json, record.created_at, record.model, record.provider)

        async def upsert(connection: Connection) -> None:
            await connection.execute(_UPSERT, values)

        await self._run(upsert)

    async def delete(self, response_id: str) -> bool:
        """Delete a record; False when it was unknown."""

        async def delete(connection: Connection) -> bool:
            cursor = await connection.execute(_DELETE, (response_id,))
            return cursor.rowcount > 0

        return await self._run(delete)

    async def delete_older_than(self, created_before: int) -> int:
        """Delete records created before a Unix time, in batches of one statement each."""

        async def delete_batch(connection: Connection) -> int:
            cursor = await connection.execute(_DELETE_OLD, (created_before, _PURGE_BATCH))
            return cursor.rowcount

        total = 0
        while True:
            deleted = await self._run(delete_batch)
            total += deleted
            if deleted < _PURGE_BATCH:
                return total

    async def _run(self, operation: Callable[[Connection], Awaitable[T]]) -> T:
        if not self._opened:
            self._opened = True
            await self._pool.open(wait=False)
        # The operation runs in its own task: psycopg may spend seconds canceling a query on a
        # stalled connection, and the caller must not wait for that past its deadline.
        task = asyncio.ensure_future(self._attempts(operation))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout_seconds)
        except asyncio.CancelledError:
            _abandon(task)
            raise
        if not done:
            _abandon(task)
            raise StoreUnavailableError(
                f"the database did not answer within {self.timeout_seconds:g}s"
            )
        try:
            return task.result()
        except PoolTimeout:
            raise StoreUnavailableError("no database connection available") from None

    async def _attempts(self, operation: Callable[[Connection], Awaitable[T]]) -> T:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self._pool.connection() as connection:
                    if not self._table_ready:
                        await self._create_table(connection)
                    return await operation(connection)
            except psycopg.errors.UndefinedTable:
                self._table_ready = False
                if attempt == _ATTEMPTS:
                    raise StoreUnavailableError(
                        "the conversation_states table is missing"
                    ) from None
            except psycopg.OperationalError as exc:
                if attempt == _ATTEMPTS:
                    raise StoreUnavailableError(_short(exc)) from None
                # After a restart or a network cut every idle connection may be dead: test
                # them all (dropping the dead ones) before the second attempt.
                await self._pool.check()
            except psycopg.Error as exc:
                raise StoreUnavailableError(_short(exc)) from None
        raise AssertionError("unreachable")

    async def _create_table(self, connection: Connection) -> None:
        if await ensure_table(connection):
            logger.info("created the conversation_states table")
        self._table_ready = True


def _abandon(task: asyncio.Future[Any]) -> None:
    """Cancel a late operation and let it finish cleaning up in the background."""
    task.cancel()
    task.add_done_callback(_consume_outcome)


def _consume_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def _asynchronous_commit(connection: Connection) -> None:
    await connection.execute("SET synchronous_commit = off")


async def _noop(_: Connection) -> None:
    return None


def _connection_options(connection_string: str) -> dict[str, Any]:
    options: dict[str, Any] = {"autocommit": True}
    try:
        given = conninfo_to_dict(connection_string)
    except psycopg.ProgrammingError:
        # psycopg's message may quote part of the string, password included: not repeated.
        raise ValueError(
            "state_storage.connection_string is invalid: not a PostgreSQL connection string"
        ) from None
    if "connect_timeout" not in given:
        options["connect_timeout"] = _DEFAULT_CONNECT_TIMEOUT
    if "application_name" not in given:
        options["application_name"] = "plano-brightstaff"
    return options


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
