"""One time limit for many concurrent blocks, watched by one loop timer.

``asyncio.timeout`` arms and cancels a loop timer for every block, a noticeable share of the
work of a small proxied request. ``Deadlines(seconds)`` gives each of its blocks the same
limit, so blocks reach their deadlines in the order they started: the open blocks are kept in
that order and one loop timer waits for the oldest. Inside a task,

    with deadlines.limit():
        await work()

raises ``TimeoutError`` in the block when it runs longer than ``seconds``, as
``async with asyncio.timeout(seconds)`` does (the task is canceled at the deadline and the
cancellation becomes ``TimeoutError`` when the block exits).
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType

__all__ = ["Deadlines"]

TIMER_SLACK_SECONDS = 0.001
"""How early a deadline may be taken as reached (loop timers have millisecond steps)."""


class Deadlines:
    """The time limit `seconds` for any number of blocks (one loop timer per event loop)."""

    __slots__ = ("_clocks", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._clocks: dict[asyncio.AbstractEventLoop, _Clock] = {}

    def limit(self) -> _Limit:
        """A context manager raising `TimeoutError` in its block past the limit."""
        loop = asyncio.get_running_loop()
        clock = self._clocks.get(loop)
        if clock is None:
            self._clocks = {each: c for each, c in self._clocks.items() if not each.is_closed()}
            clock = self._clocks[loop] = _Clock(loop)
        return _Limit(clock, self.seconds)


class _Clock:
    """The open blocks of one event loop, oldest first, and the timer of the oldest."""

    __slots__ = ("_open", "_timer", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._open: dict[_Limit, None] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, limit: _Limit) -> None:
        self._open[limit] = None
        if self._timer is None:
            self._timer = self.loop.call_at(limit.deadline, self._expire)

    def discard(self, limit: _Limit) -> None:
        self._open.pop(limit, None)

    def _expire(self) -> None:
        self._timer = None
        now = self.loop.time() + TIMER_SLACK_SECONDS
        due: list[_Limit] = []
        for limit in self._open:
            if limit.deadline > now:
                self._timer = self.loop.call_at(limit.deadline, self._expire)
                break
            due.append(limit)
        for limit in due:
            del self._open[limit]
            limit.expire()


class _Limit:
    """One block under a time limit (see `Deadlines`)."""

    __slots__ = ("_cancelling", "_clock", "_expired", "_seconds", "_task", "deadline")

    def __init__(self, clock: _Clock, seconds: float) -> None:
        self._clock = clock
        self._seconds = seconds
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._expired = False
        self.deadline = math.inf

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a time limit needs a running task")
        self._task = task
        self._cancelling = task.cancelling()
        if math.isfinite(self._seconds):
            self.deadline = self._clock.loop.time() + self._seconds
            self._clock.add(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._clock.discard(self)
        task = self._task
        expired = self._expired and task is not None and task.uncancel() <= self._cancelling
        if expired and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc

    def expire(self) -> None:
        """The deadline passed: cancel the block's task."""
        self._expired = True
        if self._task is not None:
            self._task.cancel()
