"""Optional retention: delete stored conversations older than N days, in the background.

Runs once at start-up and then every `interval_seconds`; replicas may all run it (each delete
is idempotent). A database failure is logged and retried on the next run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from brightstaff.state.store import StateStore, StoreUnavailableError

__all__ = ["DAY_SECONDS", "purge_once", "run_retention"]

logger = logging.getLogger(__name__)
DAY_SECONDS = 86400


async def purge_once(
    store: StateStore, retention_days: int, *, clock: Callable[[], float] = time.time
) -> int:
    """Delete records older than `retention_days`; the number deleted (0 on failure)."""
    cutoff = int(clock()) - retention_days * DAY_SECONDS
    try:
        deleted = await store.delete_older_than(cutoff)
    except StoreUnavailableError as exc:
        logger.warning("conversation state retention skipped: %s", exc)
        return 0
    if deleted:
        logger.info("deleted %d conversation states older than %d days", deleted, retention_days)
    return deleted


async def run_retention(
    store: StateStore, retention_days: int, *, interval_seconds: float = 3600.0
) -> None:
    """Purge now and then every `interval_seconds`, until canceled."""
    while True:
        await purge_once(store, retention_days)
        await asyncio.sleep(interval_seconds)
