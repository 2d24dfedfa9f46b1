"""Graceful shutdown as seen by request handlers: draining, then cutting what still runs.

On SIGTERM the server stops accepting connections and marks the process *draining*; requests
in flight keep running until the drain deadline, when the server *cuts* them. A handler that
wants to end its response cleanly at that moment (e.g. an error event closing a stream in the
client's dialect) wraps its work in ``cut_on_drain(scope)``, which raises ``DrainCutError``
inside the block when the cut comes:

    try:
        async with cut_on_drain(scope):
            await relay_stream()
    except DrainCutError:
        await send_error_event("the server is shutting down")

The server puts its ``Drain`` in each request's ASGI scope (``scope["extensions"]``); outside
the server (an app driven directly by a test) there is none and ``cut_on_drain`` does nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any

__all__ = ["DRAIN_EXTENSION", "Drain", "DrainCutError", "cut_on_drain", "drain_of"]

DRAIN_EXTENSION = "plano.drain"


class DrainCutError(Exception):
    """The drain deadline passed while the request was still running."""


class Drain:
    """Shutdown state of one server process: `draining` once SIGTERM came, `cut` at the deadline."""

    def __init__(self) -> None:
        self._draining = False
        self._cut = False
        self._watched: set[_CutScope] = set()

    @property
    def draining(self) -> bool:
        """True once shutdown has begun: new requests are refused."""
        return self._draining

    @property
    def cutting(self) -> bool:
        """True once the drain deadline has passed."""
        return self._cut

    @property
    def watched(self) -> int:
        """Requests currently inside `cut_on_drain`."""
        return len(self._watched)

    def begin(self) -> None:
        """Start draining (idempotent)."""
        self._draining = True

    def cut(self) -> int:
        """Cut every watched request now (and any that starts later); returns how many."""
        self._draining = True
        self._cut = True
        watched = list(self._watched)
        for scope in watched:
            scope.fire()
        return len(watched)

    def _watch(self, scope: _CutScope) -> None:
        self._watched.add(scope)
        if self._cut:
            scope.fire()

    def _unwatch(self, scope: _CutScope) -> None:
        self._watched.discard(scope)


class _CutScope:
    """Cancels its task on cut and turns that cancellation into `DrainCutError` at exit."""

    __slots__ = ("_drain", "_fired", "_task")

    def __init__(self, drain: Drain | None) -> None:
        self._drain = drain
        self._task: asyncio.Task[Any] | None = None
        self._fired = False

    def fire(self) -> None:
        if not self._fired and self._task is not None:
            self._fired = True
            self._task.cancel("drain deadline")

    async def __aenter__(self) -> None:
        self._task = asyncio.current_task()
        if self._drain is not None and self._task is not None:
            self._drain._watch(self)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._drain is not None:
            self._drain._unwatch(self)
        if not self._fired or self._task is None:
            return
        if self._task.uncancel() == 0 and exc_type is asyncio.CancelledError:
            raise DrainCutError("the drain deadline passed") from None


def drain_of(scope: MutableMapping[str, Any]) -> Drain | None:
    """The server's `Drain` for a request scope, or None outside the Plano server."""
    extensions = scope.get("extensions")
    if not isinstance(extensions, dict):
        return None
    drain = extensions.get(DRAIN_EXTENSION)
    return drain if isinstance(drain, Drain) else None


def cut_on_drain(scope: MutableMapping[str, Any]) -> _CutScope:
    """An async context manager raising `DrainCutError` in its block when the server cuts."""
    return _CutScope(drain_of(scope))
