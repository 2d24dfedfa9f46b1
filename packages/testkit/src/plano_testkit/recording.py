"""What the fake upstream remembers about each request, for assertions."""

from __future__ import annotations

import asyncio
import enum
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from plano_testkit.reply import Reply
from plano_testkit.wire.common import WireApi

__all__ = ["POLL_SECONDS", "Outcome", "RecordedRequest"]

POLL_SECONDS = 0.005


class Outcome(enum.Enum):
    """How the exchange of one request ended."""

    PENDING = "pending"
    COMPLETED = "completed"
    CUT = "cut"
    """The fake closed the connection mid-response, as scripted by `cut_after_events`."""
    CLIENT_DISCONNECTED = "client_disconnected"
    """The client closed the connection before the response was complete."""
    FAILED = "failed"
    """The fake itself failed while answering (its traceback is logged)."""


@dataclass
class RecordedRequest:
    """One request as received, and what became of it.

    `headers` has lower-case names. `json` is the decoded body (None when it is not JSON).
    Timestamps are `time.monotonic()` values.
    """

    index: int
    method: str
    path: str
    raw_path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    json: Any
    received_at: float
    api: WireApi | None = None
    model: str | None = None
    stream: bool = False
    reply: Reply | None = None
    writes_sent: int = 0
    outcome: Outcome = Outcome.PENDING
    finished_at: float | None = None
    disconnected_at: float | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def query(self) -> dict[str, str]:
        """The query string as a dict (last value wins)."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def client_disconnected(self) -> bool:
        """True when the client closed the connection before the response was complete."""
        return self.outcome is Outcome.CLIENT_DISCONNECTED

    @property
    def is_done(self) -> bool:
        """True once the exchange has ended, however it ended."""
        return self._done.is_set()

    def wait_done_sync(self, within: float = 5.0) -> bool:
        """Block until the exchange ends (not from the fake's own event loop)."""
        return self._done.wait(within)

    async def wait_done(self, within: float = 5.0) -> bool:
        """Wait up to `within` seconds for the exchange to end; works from any event loop."""
        deadline = time.monotonic() + within
        while not self._done.is_set():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL_SECONDS)
        return True

    def finish(self, outcome: Outcome) -> None:
        """Mark the exchange ended (first call wins)."""
        if self._done.is_set():
            return
        now = time.monotonic()
        self.outcome = outcome
        self.finished_at = now
        if outcome is Outcome.CLIENT_DISCONNECTED and self.disconnected_at is None:
            self.disconnected_at = now
        self._done.set()

    def connection_closed(self, at: float) -> None:
        """The connection closed; before the end of the response that is a client disconnect."""
        if not self._done.is_set():
            self.disconnected_at = at
            self.finish(Outcome.CLIENT_DISCONNECTED)
