"""`Deadlines`: one loop timer for many blocks, each raising TimeoutError like asyncio.timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from plano_common.deadlines import Deadlines


async def test_a_block_past_the_limit_raises_timeout_error_and_a_quick_one_does_not() -> None:
    deadlines = Deadlines(0.1)
    started = time.monotonic()
    with pytest.raises(TimeoutError), deadlines.limit():
        await asyncio.sleep(5)
    assert 0.09 <= time.monotonic() - started < 1
    with deadlines.limit():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.15)  # the timer left behind by the quick block cancels nothing


async def test_only_the_blocks_past_their_deadline_time_out() -> None:
    deadlines = Deadlines(0.2)

    async def block(duration: float) -> str:
        try:
            with deadlines.limit():
                await asyncio.sleep(duration)
        except TimeoutError:
            return "timed out"
        return "done"

    first = asyncio.create_task(block(5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(block(0.05))
    third = asyncio.create_task(block(5))
    assert await asyncio.gather(first, second, third) == ["timed out", "done", "timed out"]


async def test_another_cancellation_passes_through_as_cancellation() -> None:
    deadlines = Deadlines(5)

    async def block() -> None:
        with deadlines.limit():
            await asyncio.sleep(5)

    task = asyncio.create_task(block())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_cancellation_arriving_with_the_deadline_stays_a_cancellation() -> None:
    async def block(limit: Any) -> str:
        try:
            async with contextlib.AsyncExitStack() as stack:
                if isinstance(limit, Deadlines):
                    stack.enter_context(limit.limit())
                else:
                    await stack.enter_async_context(limit)
                time.sleep(0.06)  # noqa: ASYNC251 (past the deadline before the loop runs its timer)
                task = asyncio.current_task()
                assert task is not None
                task.cancel()
                await asyncio.sleep(0)
        except TimeoutError:
            return "timed out"
        except asyncio.CancelledError:
            return "canceled"
        return "done"

    assert await block(asyncio.timeout(0.05)) == "canceled"
    assert await block(Deadlines(0.05)) == "canceled"


def test_a_limit_outside_a_task_is_refused() -> None:
    async def enter_in_a_callback() -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[BaseException | None] = loop.create_future()

        def callback() -> None:
            try:
                with Deadlines(1).limit():
                    pass
            except RuntimeError as exc:
                future.set_result(exc)
            else:
                future.set_result(None)

        loop.call_soon(callback)
        assert isinstance(await future, RuntimeError)

    asyncio.run(enter_in_a_callback())
