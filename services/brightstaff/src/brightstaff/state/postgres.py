"""The PostgreSQL store: psycopg 3 async through a small connection pool.

- Reads and writes are batched (`batching.Batcher`): alone, an operation is one statement;
  those queued while the database is busy share one (the reads of several ids, an upsert of
  several rows), so a busy replica pays one round trip and one commit for many requests. A
  batch the database refuses for one of its values (a NUL character in a history, say) is run
  again one operation at a time, so only that operation fails.
- With a cache (`cache_bytes`), the records this replica wrote or read recently are served
  from memory (`recent.RecentRecords`): a follow-up turn on the replica that stored the
  previous one needs no read. Deletes notify every replica (`deletions`), and the cache is only
  used while this replica hears them.
- Statements run in autocommit mode, so a turn's history is written by a single statement and
  no reader ever sees half of it.
- Sessions compress large histories with lz4 when the server has it (`_session_settings`).
- Unless `synchronous_commit` is asked for, sessions commit asynchronously: a commit is visible
  to every replica at once but returns before the disk flush (a few milliseconds on most disks,
  paid at the end of every stateful reply otherwise); a database crash may then lose the turns
  of its last fraction of a second, never part of one.
- Every operation runs under one deadline (`timeout_seconds` from when it is asked for, wait
  for a batch or a connection included) and raises `StoreUnavailableError` when it is missed
  or the database fails.
- A connection that breaks (database restarted, network cut) is dropped by the pool, the idle
  ones are tested, and the statement is tried once more; the pool reconnects in the
  background, so the store recovers without a restart.
- The pool opens at start-up (or on first use) and the table is created then when missing
  (`schema.ensure_table`); when the database is down then, or the table disappears later,
  creation is retried before the next operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, LiteralString, TypeVar

import msgspec
import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from brightstaff.state.batching import Batcher
from brightstaff.state.deletions import CHANNEL, DeletionListener
from brightstaff.state.recent import CacheStats, RecentRecords
from brightstaff.state.schema import ensure_table
from brightstaff.state.store import ConversationRecord, StoreUnavailableError

__all__ = ["PostgresStore"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")
Connection = AsyncConnection[Any]
Cursor = AsyncCursor[Any]


class _Row(msgspec.Struct):
    """A record as written (the JSON of one element of a write batch)."""

    response_id: str
    input_items: msgspec.Raw
    created_at: int
    model: str
    provider: str


_Found = tuple[ConversationRecord, bytes]
"""A record read and its history's JSON."""


class _RefusedError(StoreUnavailableError):
    """The database refused a value of one operation; the database itself is fine."""


Write = tuple[str, bytes]
"""A queued write: the response id and its row's JSON."""
Statement = Callable[[Cursor, list[K]], Awaitable[list[R]]]

_decode_items = msgspec.json.Decoder(list[dict[str, Any]]).decode
_encode = msgspec.json.encode
# A batch travels as one JSON parameter: an array of ids to read, an array of rows to write
# (each history embedded as it is).
_SELECT: LiteralString = (
    "SELECT response_id, input_items::text, created_at, model, provider "
    "FROM conversation_states "
    "WHERE response_id = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
)
_UPSERT: LiteralString = (
    "INSERT INTO conversation_states (response_id, input_items, created_at, model, provider) "
    "SELECT response_id, input_items, created_at, model, provider "
    "FROM jsonb_to_recordset(%s::jsonb) AS batch "
    "(response_id text, input_items jsonb, created_at bigint, model text, provider text) "
    "ON CONFLICT (response_id) DO UPDATE SET "
    "input_items = EXCLUDED.input_items, created_at = EXCLUDED.created_at, "
    "model = EXCLUDED.model, provider = EXCLUDED.provider, updated_at = CURRENT_TIMESTAMP"
)
# Deletes notify every replica's cache when they commit (one row per deleted id).
_DELETE: LiteralString = (
    "WITH gone AS (DELETE FROM conversation_states WHERE response_id = %s "
    "RETURNING response_id) SELECT pg_notify(%s, response_id) FROM gone"
)
_DELETE_OLD: LiteralString = (
    "WITH gone AS (DELETE FROM conversation_states WHERE response_id IN (SELECT response_id "
    "FROM conversation_states WHERE created_at < %s LIMIT %s) RETURNING response_id) "
    "SELECT pg_notify(%s, response_id) FROM gone"
)
_PURGE_BATCH = 1000
_ATTEMPTS = 2
_DEFAULT_CONNECT_TIMEOUT = 5
_MAX_POOL = 10
# Batches running at once: reads, on the way to the upstream, run up to 4 at a time; writes
# one at a time, so those that arrive while one is under way share the next statement (fewer
# statements per turn: the cost of each is mostly fixed). The pool's other connections are left
# to deletes and retention. A write batch holds up to 1 MiB of rows (a larger row runs alone).
_READ_RUNNERS = 4
_WRITE_RUNNERS = 1
_MAX_BATCH = 64
_MAX_BATCH_BYTES = 1 << 20
# Recent records are kept this long at most (a row deleted by hand may be served that long).
_CACHE_SECONDS = 300.0
# The pool's reconnection backoff doubles up to this bound; after it the next request starts a
# fresh attempt at once, so recovery after a long outage is quick.
_RECONNECT_SECONDS = 10.0


class PostgresStore:
    """A `StateStore` on the `conversation_states` table."""

    def __init__(
        self,
        connection_string: str,
        *,
        timeout_seconds: float,
        synchronous_commit: bool = False,
        cache_bytes: int = 0,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        options = _connection_options(connection_string)
        self._pool = AsyncConnectionPool(
            connection_string,
            kwargs=options,
            configure=_session_settings(synchronous_commit),
            min_size=1,
            max_size=_MAX_POOL,
            open=False,
            name="plano-state",
            reconnect_timeout=_RECONNECT_SECONDS,
        )
        self._opened = False
        self._table_ready = False
        self._cursors: weakref.WeakKeyDictionary[Connection, Cursor] = weakref.WeakKeyDictionary()
        self._recent: RecentRecords | None = None
        self._deletions: DeletionListener | None = None
        if cache_bytes > 0:
            self._recent = RecentRecords(max_bytes=cache_bytes, ttl_seconds=_CACHE_SECONDS)
            self._deletions = DeletionListener(connection_string, options, self._recent)
        self._reads: Batcher[str, _Found | None] = Batcher(
            lambda ids: self._batch(_select, ids),
            timeout_seconds=timeout_seconds,
            limit=_READ_RUNNERS,
            max_batch=_MAX_BATCH,
        )
        self._writes: Batcher[Write, None] = Batcher(
            lambda rows: self._batch(_upsert, rows),
            timeout_seconds=timeout_seconds,
            limit=_WRITE_RUNNERS,
            max_batch=_MAX_BATCH,
            weigh=_weight,
            max_weight=_MAX_BATCH_BYTES,
        )

    @property
    def caching(self) -> bool:
        """True while recent records are served from memory (the delete listener is up)."""
        return self._recent is not None and self._recent.trusted

    def cache_stats(self) -> CacheStats | None:
        """The cache's figures, or None without a cache."""
        return None if self._recent is None else self._recent.stats()

    async def start(self) -> None:
        """Open the pool and create the table when missing; a failure is logged, not raised."""
        try:
            await self._run(_noop)
        except StoreUnavailableError as exc:
            logger.warning("conversation state database not ready at start-up: %s", exc)

    async def close(self) -> None:
        """Stop the batches and close every connection."""
        self._reads.close()
        self._writes.close()
        if self._deletions is not None:
            await self._deletions.close()
        if self._opened:
            await self._pool.close()

    async def get(self, response_id: str) -> ConversationRecord | None:
        """The record of a response (from the cache when it holds it), or None."""
        _encode(response_id)  # an id JSON cannot carry fails its own caller, not a batch
        recent = self._recent
        if recent is not None and (kept := recent.get(response_id)) is not None:
            return kept
        epoch = 0 if recent is None else recent.epoch
        try:
            found = await self._reads.submit(response_id)
        except StoreUnavailableError as exc:
            self._failed(exc)
            raise
        if found is None:
            return None
        record, items_json = found
        if recent is not None:
            recent.remember(record, items_json, since_epoch=epoch)
        return record

    async def put(self, record: ConversationRecord) -> None:
        """Insert or replace a record with one statement."""
        items_json = _encode(record.input_items)
        row = _Row(
            record.response_id,
            msgspec.Raw(items_json),
            record.created_at,
            record.model,
            record.provider,
        )
        epoch = 0 if self._recent is None else self._recent.epoch
        try:
            await self._writes.submit((record.response_id, _encode(row)))
        except StoreUnavailableError as exc:
            self._failed(exc)
            raise
        if self._recent is not None:
            self._recent.remember(record, items_json, since_epoch=epoch)

    async def delete(self, response_id: str) -> bool:
        """Delete a record; False when it was unknown. Every replica's cache is told."""

        async def delete(connection: Connection) -> bool:
            cursor = await connection.execute(_DELETE, (response_id, CHANNEL))
            return cursor.rowcount > 0

        self._forget(response_id)
        try:
            return await self._run(delete)
        except StoreUnavailableError as exc:
            self._failed(exc)
            raise
        finally:
            self._forget(response_id)

    async def delete_older_than(self, created_before: int) -> int:
        """Delete records created before a Unix time, in batches of one statement each."""

        async def delete_batch(connection: Connection) -> int:
            cursor = await connection.execute(_DELETE_OLD, (created_before, _PURGE_BATCH, CHANNEL))
            return cursor.rowcount

        total = 0
        while True:
            deleted = await self._run(delete_batch)
            total += deleted
            if deleted < _PURGE_BATCH:
                return total

    def _failed(self, error: StoreUnavailableError) -> None:
        """An operation failed: unless the database refused one of its values (a client can
        send those at will), the database may have stalled with the listener unaware."""
        if self._deletions is not None and not isinstance(error, _RefusedError):
            self._deletions.restart()

    def _forget(self, response_id: str) -> None:
        if self._recent is not None:
            self._recent.forget(response_id)

    async def _batch(
        self, statement: Statement[K, R], keys: list[K]
    ) -> Sequence[R | StoreUnavailableError]:
        """One batch's outcomes, under the retries of `_attempts`."""
        await self._open()
        return await self._attempts(
            lambda connection: _alone_on_refusal(statement, self._cursor(connection), keys)
        )

    def _cursor(self, connection: Connection) -> Cursor:
        """The batch cursor of a pooled connection, made once (a cursor costs more to make than
        to reuse, and a connection runs one statement at a time)."""
        cursor = self._cursors.get(connection)
        if cursor is None:
            cursor = self._cursors[connection] = connection.cursor()
        return cursor

    async def _open(self) -> None:
        if not self._opened:
            self._opened = True
            await self._pool.open(wait=False)
            if self._deletions is not None:
                self._deletions.start()

    async def _run(self, operation: Callable[[Connection], Awaitable[T]]) -> T:
        await self._open()
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
                connection = await self._pool.getconn()
                try:
                    if not self._table_ready:
                        await self._create_table(connection)
                    return await operation(connection)
                finally:
                    await self._pool.putconn(connection)
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


async def _select(cursor: Cursor, ids: list[str]) -> list[_Found | None]:
    await cursor.execute(_SELECT, (_encode(ids).decode(),))
    rows: dict[str, tuple[Any, ...]] = {row[0]: row for row in await cursor.fetchall()}
    return [_found(rows.get(response_id)) for response_id in ids]


def _found(row: tuple[Any, ...] | None) -> _Found | None:
    """A fresh record of a row (each reader gets its own history) and the history's JSON."""
    if row is None:
        return None
    response_id, items_text, created_at, model, provider = row
    items_json = items_text.encode()
    record = ConversationRecord(
        response_id=response_id,
        input_items=_decode_items(items_json),
        created_at=int(created_at),
        model=str(model),
        provider=str(provider),
    )
    return record, items_json


async def _upsert(cursor: Cursor, writes: list[Write]) -> list[None]:
    # One row per id (the last queued wins), in id order so concurrent batches lock alike.
    latest = dict(writes)
    rows = b",".join(latest[response_id] for response_id in sorted(latest))
    await cursor.execute(_UPSERT, (f"[{rows.decode()}]",))
    return [None] * len(writes)


def _weight(write: Write) -> int:
    return len(write[1])


_REFUSALS = (psycopg.DataError, psycopg.IntegrityError, psycopg.errors.ProgramLimitExceeded)


async def _alone_on_refusal(
    statement: Statement[K, R], cursor: Cursor, keys: list[K]
) -> list[R | StoreUnavailableError]:
    """The statement's outcomes; when the database refuses a value, each key is run alone."""
    try:
        return list(await statement(cursor, keys))
    except _REFUSALS as exc:
        if len(keys) == 1:
            raise _RefusedError(_short(exc)) from None
    outcomes: list[R | StoreUnavailableError] = []
    for key in keys:
        try:
            outcomes += await statement(cursor, [key])
        except _REFUSALS as exc:
            outcomes.append(_RefusedError(_short(exc)))
    return outcomes


def _abandon(task: asyncio.Future[Any]) -> None:
    """Cancel a late operation and let it finish cleaning up in the background."""
    task.cancel()
    task.add_done_callback(_consume_outcome)


def _consume_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _session_settings(synchronous_commit: bool) -> Callable[[Connection], Awaitable[None]]:
    """What each new connection sets before its first use."""

    async def configure(connection: Connection) -> None:
        if not synchronous_commit:
            await connection.execute("SET synchronous_commit = off")
        # Histories past ~2 kB are compressed when stored: lz4 costs the server about a third
        # less CPU than the default pglz, and any reader decompresses either. Servers built
        # without lz4, or older than PostgreSQL 14, keep their default.
        with contextlib.suppress(
            psycopg.errors.InvalidParameterValue, psycopg.errors.UndefinedObject
        ):
            await connection.execute("SET default_toast_compression = lz4")

    return configure


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
