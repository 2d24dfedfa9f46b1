"""Capturing a reply as it passes and storing the conversation it ends.

A streamed reply is stored when its final `response.completed` (or `response.incomplete`)
event passes: the hook is awaited before that event is sent, so a client that has the final
event can continue the conversation at once, on any replica sharing the store. Nothing is
stored before that, so the time to first token is untouched, and a reply that fails or is cut
stores nothing. A non-streamed reply is stored before its body is sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import msgspec

from brightstaff.seams import LlmRequest
from brightstaff.state.items import output_to_input
from brightstaff.state.metrics import StateMetrics
from brightstaff.state.store import (
    MAX_ID_LENGTH,
    ConversationRecord,
    StateStore,
    StoreUnavailableError,
)

__all__ = ["FinalReply", "ReplyCapture", "final_event"]

logger = logging.getLogger(__name__)
_STORED_STATUSES = frozenset({"completed", "incomplete"})
_FINAL_MARKERS = (b"response.completed", b"response.incomplete")


class FinalReply(msgspec.Struct):
    """The parts of a Responses reply the state keeps."""

    id: str = ""
    status: str | None = None
    output: list[Any] = []


class _FinalEvent(msgspec.Struct):
    type: str = ""
    response: FinalReply | None = None


_decode_event = msgspec.json.Decoder(_FinalEvent).decode
_decode_response = msgspec.json.Decoder(FinalReply).decode


def final_event(data: bytes) -> tuple[int, FinalReply] | None:
    """Where the final event (completed or incomplete) starts among the whole SSE events in
    `data`, and its response; None without one. Only events naming a final type are decoded;
    the rest cost a search."""
    for marker in _FINAL_MARKERS:
        at = data.find(marker)
        while at >= 0:
            start = data.rfind(b"\n\n", 0, at)
            start = 0 if start < 0 else start + 2
            end = data.find(b"\n\n", at)
            end = len(data) if end < 0 else end + 2
            response = _event_response(data[start:end])
            if response is not None:
                return start, response
            at = data.find(marker, end)
    return None


def _event_response(event: bytes) -> FinalReply | None:
    data = b"\n".join(
        line[5:].removeprefix(b" ") for line in event.splitlines() if line.startswith(b"data:")
    )
    try:
        decoded = _decode_event(data)
    except msgspec.DecodeError:
        return None
    response = decoded.response
    if response is None or decoded.type.removeprefix("response.") not in _STORED_STATUSES:
        return None
    return response


class ReplyCapture:
    """The `StateTurn` of one request: stores history + reply when the reply is complete."""

    __slots__ = ("_clock", "_done", "_final", "_history", "_metrics", "_request", "_store")

    def __init__(
        self,
        store: StateStore,
        request: LlmRequest,
        history: list[dict[str, Any]],
        metrics: StateMetrics,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._request = request
        self._history = history
        self._metrics = metrics
        self._clock = clock
        self._done = False
        self._final: FinalReply | None = None

    def final_event_start(self, data: bytes) -> int:
        """Where the event that ends the reply starts in `data`, or -1 (always -1 once the
        reply is stored or abandoned). The response it carries is kept for
        `on_stream_events`, so the event is decoded once."""
        if self._done:
            return -1
        found = final_event(data)
        if found is None:
            return -1
        start, self._final = found
        return start

    async def on_stream_events(self, data: bytes) -> None:
        """Store on the final event, before it is sent."""
        if self._done or (self._final is None and self.final_event_start(data) < 0):
            return
        assert self._final is not None
        await self._save(self._final)

    async def on_response_body(self, body: bytes) -> None:
        """Store a whole non-streamed reply before it is sent."""
        if self._done:
            return
        try:
            response = _decode_response(body)
        except msgspec.DecodeError:
            logger.warning("request %s: reply is not a Response; state not stored", self._rid)
            return
        if response.status is None or response.status in _STORED_STATUSES:
            await self._save(response)

    def abandon(self) -> None:
        """The reply failed: store nothing."""
        self._done = True

    @property
    def _rid(self) -> str:
        return self._request.request_id

    async def _save(self, response: FinalReply) -> None:
        self._done = True
        if not response.id or len(response.id) > MAX_ID_LENGTH:
            logger.warning("request %s: reply has no usable id; state not stored", self._rid)
            return
        record = ConversationRecord(
            response_id=response.id,
            input_items=self._history + output_to_input(response.output, response.id),
            created_at=int(self._clock()),
            model=self._request.model,
            provider=self._request.provider,
        )
        started = time.perf_counter()
        try:
            await self._store.put(record)
        except StoreUnavailableError as exc:
            self._metrics.observe("store", "error", started)
            logger.warning(
                "request %s: conversation state of %s not stored: %s", self._rid, response.id, exc
            )
            return
        self._metrics.observe("store", "stored", started)
