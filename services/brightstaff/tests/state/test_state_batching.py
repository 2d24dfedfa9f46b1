"""Operations queued while the store is busy run together, each with its own deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from brightstaff.state.batching import Batcher
from brightstaff.state.store import StoreUnavailableError


class Backend:
    """Records every batch; `gate` holds the running batch until it is set."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, keys: list[str]) -> Sequence[str | StoreUnavailableError]:
        self.batches.append(keys)
        await self.gate.wait()
        return [
            StoreUnavailableError(key) if key.startswith("bad") else key.upper() for key in keys
        ]


def batcher(backend: Backend, *, timeout: float = 5) -> Batcher[str, str]:
    """One runner, batches of up to 3."""
    return Batcher(backend.run, timeout_seconds=timeout, limit=1, max_batch=3)


async def test_operations_queued_while_busy_share_a_batch() -> None:
    backend = Backend()
    batches = batcher(backend)
    assert await batches.submit("alone") == "ALONE"
    backend.gate.clear()
    first = asyncio.ensure_future(batches.submit("a"))
    await asyncio.sleep(0)
    queued = [asyncio.ensure_future(batches.submit(key)) for key in "bcdef"]
    await asyncio.sleep(0)
    backend.gate.set()
    assert await asyncio.gather(first, *queued) == ["A", "B", "C", "D", "E", "F"]
    assert backend.batches == [["alone"], ["a"], ["b", "c", "d"], ["e", "f"]]


async def test_a_full_batch_leaves_the_rest_to_another_runner() -> None:
    backend = Backend()
    backend.gate.clear()
    batches = Batcher(backend.run, timeout_seconds=5, limit=2, max_batch=3)
    operations = [asyncio.ensure_future(batches.submit(key)) for key in "abcdefg"]
    for _ in range(3):
        await asyncio.sleep(0)
    assert backend.batches == [["a", "b", "c"], ["d", "e", "f"]]  # both running at once
    backend.gate.set()
    assert await asyncio.gather(*operations) == list("ABCDEFG")
    assert backend.batches[2:] == [["g"]]


async def test_a_failure_in_a_batch_stays_with_its_operation() -> None:
    batches = batcher(Backend())
    outcomes = await asyncio.gather(
        batches.submit("a"), batches.submit("bad"), batches.submit("b"), return_exceptions=True
    )
    assert outcomes[0] == "A" and outcomes[2] == "B"
    assert isinstance(outcomes[1], StoreUnavailableError)


async def test_weight_bounds_a_batch() -> None:
    backend = Backend()
    # Weighed by length: "aaa" + "bb" is over the bound, "bb" + "c" is not.
    batches = Batcher(backend.run, timeout_seconds=5, limit=1, max_batch=3, weigh=len, max_weight=4)
    assert await asyncio.gather(*(batches.submit(key) for key in ("aaa", "bb", "c"))) == [
        "AAA",
        "BB",
        "C",
    ]
    assert backend.batches == [["aaa"], ["bb", "c"]]


async def test_each_operation_has_its_own_deadline_and_a_late_batch_recovers() -> None:
    backend = Backend()
    backend.gate.clear()
    batches = batcher(backend, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="did not answer"):
        await batches.submit("stuck")
    assert time.monotonic() - started < 1
    backend.gate.set()
    assert await batches.submit("next") == "NEXT"


async def test_a_cancelled_caller_leaves_the_others_alone() -> None:
    backend = Backend()
    backend.gate.clear()
    batches = batcher(backend)
    running = asyncio.ensure_future(batches.submit("a"))
    await asyncio.sleep(0)
    gone = asyncio.ensure_future(batches.submit("b"))
    kept = asyncio.ensure_future(batches.submit("c"))
    await asyncio.sleep(0)
    gone.cancel()
    backend.gate.set()
    assert list(await asyncio.gather(running, kept)) == ["A", "C"]
    assert backend.batches == [["a"], ["c"]]


async def test_close_fails_what_is_pending() -> None:
    backend = Backend()
    backend.gate.clear()
    batches = batcher(backend)
    running = asyncio.ensure_future(batches.submit("a"))
    await asyncio.sleep(0)
    queued = asyncio.ensure_future(batches.submit("b"))
    await asyncio.sleep(0)
    batches.close()
    for operation in (running, queued):
        with pytest.raises(StoreUnavailableError, match="closed"):
            await operation


async def test_an_operation_queued_while_the_only_runner_finishes_is_run() -> None:
    async def run(keys: list[int]) -> list[int]:
        return keys

    batcher: Batcher[int, int] = Batcher(run, timeout_seconds=5, limit=1, max_batch=8)
    for key in range(50):
        # The caller resumes (and submits again) before the previous runner's task completes.
        async with asyncio.timeout(1):
            assert await batcher.submit(key) == key
    batcher.close()
