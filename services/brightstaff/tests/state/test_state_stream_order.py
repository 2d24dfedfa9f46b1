"""A reply that reaches brightstaff in one piece: its events before the final one are sent to the
client at once, and only the final event waits for the state write."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CollectorRegistry

from brightstaff.observe import LlmRecord
from brightstaff.relay import ClientRelay, relay_stream
from brightstaff.seams import LlmRequest
from brightstaff.state.capture import ReplyCapture
from brightstaff.state.memory import MemoryStore
from brightstaff.state.metrics import StateMetrics
from brightstaff.state.store import ConversationRecord
from hermesllm.apis import ClientApi


def sse(event_type: str, payload: dict[str, Any]) -> bytes:
    data = json.dumps({"type": event_type, **payload})
    return f"event: {event_type}\ndata: {data}\n\n".encode()


def response(status: str, text: str = "") -> dict[str, Any]:
    output = []
    if text:
        content = [{"type": "output_text", "text": text, "annotations": []}]
        output = [{"id": "msg_1", "type": "message", "role": "assistant", "content": content}]
    return {"id": "resp_1", "object": "response", "status": status, "output": output}


class SlowStore(MemoryStore):
    """Stores only once `release` is set."""

    def __init__(self) -> None:
        super().__init__(max_entries=10, ttl_seconds=60)
        self.release = asyncio.Event()

    async def put(self, record: ConversationRecord) -> None:
        await self.release.wait()
        await super().put(record)


class OnePiece:
    """An egress response whose whole stream arrives in one read."""

    status = 200
    raw_headers = [(b"content-type", b"text/event-stream")]

    def __init__(self, data: bytes) -> None:
        self.content = self
        self._data = data

    async def iter_any(self) -> AsyncIterator[bytes]:
        yield self._data

    def at_eof(self) -> bool:
        return True


async def test_events_before_the_final_one_do_not_wait_for_the_write() -> None:
    stream = (
        sse("response.created", {"response": response("in_progress")})
        + sse("response.output_text.delta", {"item_id": "msg_1", "delta": "hello"})
        + sse("response.completed", {"response": response("completed", "hello")})
    )
    sent: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message.get("body", b""))

    store = SlowStore()
    request = LlmRequest(
        api=ClientApi.RESPONSES,
        path="/v1/responses",
        body={},
        headers={},
        request_id="req-1",
        requested_model="m",
        model="m",
        provider="claude",
        stream=True,
        listener="model",
    )
    metrics = StateMetrics(CollectorRegistry())
    turn = ReplyCapture(store, request, [{"role": "user", "content": "hi"}], metrics)
    record = LlmRecord("req-1", "model", "/v1/responses", time.perf_counter())
    relay = ClientRelay(send, ClientApi.RESPONSES, record)
    relaying = asyncio.create_task(relay_stream(OnePiece(stream), relay, turn, None))  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while b"output_text.delta" not in b"".join(sent):
        assert time.monotonic() < deadline, "the delta waited for the state write"
        await asyncio.sleep(0.01)
    assert b"response.completed" not in b"".join(sent)
    store.release.set()
    await relaying
    body = b"".join(sent)
    assert body.index(b"output_text.delta") < body.index(b"response.completed")
    assert await store.get("resp_1") is not None
