"""Drain: requests inside cut_on_drain end with DrainCutError when the server cuts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from plano_common.drain import DRAIN_EXTENSION, Drain, DrainCutError, cut_on_drain, drain_of


def _scope(drain: Drain | None) -> dict[str, Any]:
    return {"type": "http", "extensions": {} if drain is None else {DRAIN_EXTENSION: drain}}


async def test_cut_raises_drain_cut_error_inside_the_block() -> None:
    drain = Drain()
    entered = asyncio.Event()

    async def handler() -> str:
        try:
            async with cut_on_drain(_scope(drain)):
                entered.set()
                await asyncio.sleep(30)
        except DrainCutError:
            return "cut"
        return "finished"

    task = asyncio.create_task(handler())
    await entered.wait()
    assert drain.watched == 1
    assert drain.cut() == 1
    assert await task == "cut"
    assert drain.watched == 0
    assert drain.draining and drain.cutting


async def test_a_block_entered_after_the_cut_is_cut_at_its_first_wait() -> None:
    drain = Drain()
    drain.cut()
    with pytest.raises(DrainCutError):
        async with cut_on_drain(_scope(drain)):
            await asyncio.sleep(30)


async def test_draining_alone_lets_requests_finish() -> None:
    drain = Drain()
    drain.begin()
    async with cut_on_drain(_scope(drain)):
        await asyncio.sleep(0)
    assert drain.draining and not drain.cutting


async def test_other_cancellations_pass_through() -> None:
    drain = Drain()

    async def handler() -> None:
        async with cut_on_drain(_scope(drain)):
            await asyncio.sleep(30)

    task = asyncio.create_task(handler())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_timeouts_outside_the_block_still_time_out() -> None:
    drain = Drain()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01), cut_on_drain(_scope(drain)):
            await asyncio.sleep(30)


async def test_without_a_server_drain_the_block_is_inert() -> None:
    assert drain_of({"type": "http"}) is None
    assert drain_of(_scope(None)) is None
    async with cut_on_drain({"type": "http"}):
        await asyncio.sleep(0)
