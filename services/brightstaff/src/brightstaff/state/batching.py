"""Operations of one kind run together: those queued while the database is busy share a statement.

An operation is queued, then run by one of at most `limit` runner tasks, which takes the
oldest queued operations (up to `max_batch` of them, `max_weight` in total) and runs them as
one batch; a runner that leaves operations queued starts another. Alone, an operation is a
batch of one and starts at once; under load, the queue fills while the runners wait for the
database, and one statement serves many requests.

Each operation has its own deadline, counted from when it was queued: its caller gets
`StoreUnavailableError` then, whatever its batch does. A caller that is cancelled or times
out leaves its batch (or the queue) untouched.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar, cast

from brightstaff.state.store import StoreUnavailableError

__all__ = ["Batcher"]

K = TypeVar("K")
R = TypeVar("R")


class Batcher(Generic[K, R]):
    """Queues operations of one kind and runs them in batches (`run` maps keys to outcomes)."""

    def __init__(
        self,
        run: Callable[[list[K]], Awaitable[Sequence[R | StoreUnavailableError]]],
        *,
        timeout_seconds: float,
        limit: int,
        max_batch: int,
        weigh: Callable[[K], int] | None = None,
        max_weight: int = 0,
    ) -> None:
        self._run = run
        self._timeout = timeout_seconds
        self._limit = limit
        self._max_batch = max_batch
        self._weigh = weigh
        self._max_weight = max_weight
        self._queue: deque[tuple[K, asyncio.Future[R]]] = deque()
        self._runners: set[asyncio.Task[None]] = set()
        self._starting = 0  # runners created that have not taken their first batch yet

    async def submit(self, key: K) -> R:
        """The outcome of one operation; `StoreUnavailableError` at its deadline."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((key, future))
        self._add_runner()
        timer = loop.call_later(self._timeout, _expire, future, self._timeout)
        try:
            return await future
        finally:
            timer.cancel()

    def close(self) -> None:
        """Cancel the running batches; every operation not finished fails."""
        for runner in self._runners:
            runner.cancel()
        while self._queue:
            _settle(self._queue.popleft()[1], _closed())

    def _add_runner(self) -> None:
        """Start a runner unless one is about to take the queue or the limit is reached."""
        if self._starting == 0 and len(self._runners) < self._limit:
            self._starting += 1
            runner = asyncio.get_running_loop().create_task(self._drain())
            self._runners.add(runner)

    async def _drain(self) -> None:
        self._starting -= 1
        try:
            while batch := self._take():
                if self._queue:
                    self._add_runner()
                await self._run_batch(batch)
        finally:
            # At once, not in a done callback: an operation queued before that callback ran
            # would find the limit reached and no runner left to take it.
            self._runners.discard(cast("asyncio.Task[None]", asyncio.current_task()))

    async def _run_batch(self, batch: list[tuple[K, asyncio.Future[R]]]) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                outcomes = await self._run([key for key, _ in batch])
        except TimeoutError:
            outcomes = [_late(self._timeout) for _ in batch]
        except StoreUnavailableError as exc:
            outcomes = [type(exc)(*exc.args) for _ in batch]
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except asyncio.CancelledError:
            for _, future in batch:
                _settle(future, _closed())
            raise
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _settle(future, outcome)

    def _take(self) -> list[tuple[K, asyncio.Future[R]]]:
        """The next batch: the oldest queued operations still awaited."""
        batch: list[tuple[K, asyncio.Future[R]]] = []
        weight = 0
        queue = self._queue
        while queue and len(batch) < self._max_batch:
            key, future = queue[0]
            if future.done():
                queue.popleft()
                continue
            if self._weigh is not None:
                weight += self._weigh(key)
                if batch and weight > self._max_weight:
                    break
            batch.append(queue.popleft())
        return batch


def _settle(future: asyncio.Future[R], outcome: R | StoreUnavailableError) -> None:
    if future.done():
        return
    if isinstance(outcome, StoreUnavailableError):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _expire(future: asyncio.Future[Any], timeout: float) -> None:
    if not future.done():
        future.set_exception(_late(timeout))


def _closed() -> StoreUnavailableError:
    return StoreUnavailableError("the store is closed")


def _late(timeout: float) -> StoreUnavailableError:
    return StoreUnavailableError(f"the database did not answer within {timeout:g}s")
