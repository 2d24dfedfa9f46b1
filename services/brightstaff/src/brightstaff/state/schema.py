"""The `conversation_states` table and its idempotent creation.

The table and index definitions match the published setup SQL, so a table created by hand with
that SQL is used as it is. Creation runs inside one transaction holding a transaction-level
advisory lock: replicas starting together take turns, and the second one finds everything in
place (`IF NOT EXISTS`). The table is looked up through the connection's `search_path`.
"""

from __future__ import annotations

from typing import Any, LiteralString

from psycopg import AsyncConnection

__all__ = ["TABLE", "ensure_table", "table_exists"]

TABLE = "conversation_states"
_LOCK_KEY = 0x706C616E6F5F7374  # any fixed 64-bit value shared by every replica
_DDL: tuple[LiteralString, ...] = (
    """CREATE TABLE IF NOT EXISTS conversation_states (
        response_id TEXT PRIMARY KEY,
        input_items JSONB NOT NULL,
        created_at BIGINT NOT NULL,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    )""",
    "CREATE INDEX IF NOT EXISTS idx_conversation_states_created_at "
    "ON conversation_states(created_at)",
    "CREATE INDEX IF NOT EXISTS idx_conversation_states_provider ON conversation_states(provider)",
)


async def table_exists(connection: AsyncConnection[Any]) -> bool:
    """True when `conversation_states` is visible on the connection's search path."""
    cursor = await connection.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,))
    row = await cursor.fetchone()
    return bool(row and row[0])


async def ensure_table(connection: AsyncConnection[Any]) -> bool:
    """Create the table and its indexes when missing; True when this call created them."""
    if await table_exists(connection):
        return False
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        if await table_exists(connection):
            return False
        for statement in _DDL:
            await connection.execute(statement)
    return True
