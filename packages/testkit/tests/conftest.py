"""Fixtures shared by the test kit's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from plano_testkit import FakeUpstream, Reply

Rechunk = Callable[[Reply, int, Callable[[], Any]], tuple[Any, Any]]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    """A fake upstream running in a background thread (one per test module)."""
    with FakeUpstream() as running:
        yield running


@pytest.fixture
def rechunk(fake: FakeUpstream) -> Rechunk:
    """Play `script` whole, then again in `chunk_size`-byte writes; `read` runs a request
    each time. Returns what `read` returned both times."""

    def play(script: Reply, chunk_size: int, read: Callable[[], Any]) -> tuple[Any, Any]:
        fake.enqueue(script)
        whole = read()
        fake.reset()
        fake.enqueue(replace(script, chunk_size=chunk_size))
        return whole, read()

    return play
