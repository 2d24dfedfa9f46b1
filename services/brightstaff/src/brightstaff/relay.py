"""Sending the egress's answer to the client: errors and whole bodies as they are, streams
event by event as they arrive (whole SSE events, never buffered beyond one event)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from brightstaff.asgi import JSON_CONTENT_TYPE, RawHeaders, Send, send_response
from brightstaff.egress import EgressError, EgressResponse
from brightstaff.observe import LlmRecord
from brightstaff.seams import ChunkFilter, StateTurn, StepError
from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.streaming import StreamTranslator, new_stream_translator
from plano_common.errors import BadGateway, GatewayError

__all__ = [
    "ClientRelay",
    "passed_headers",
    "relay_body",
    "relay_error_status",
    "relay_stream",
]

TERMINATOR_SECONDS = 1.0
"""How long the end of an egress stream is awaited after its last event (the client already
has its whole answer)."""
TERMINATOR_BYTES = 64 * 1024
"""At most this much trailing data is read after the last event; more closes the connection."""
_DROPPED_RESPONSE_HEADERS = frozenset(
    {
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"date",
        b"server",
        b"x-request-id",
    }
)


class ClientRelay:
    """Sends the client's response and remembers whether any byte has gone out."""

    __slots__ = ("api", "finished", "id_header", "record", "send", "translator")

    def __init__(self, send: Send, api: ClientApi, record: LlmRecord) -> None:
        self.send = send
        self.api = api
        self.record = record
        self.id_header = (b"x-request-id", record.request_id.encode("latin-1"))
        self.translator: StreamTranslator | None = None
        self.finished = False

    async def complete(self, status: int, body: bytes, headers: RawHeaders) -> None:
        """A whole response."""
        self.record.status = status
        self.record.response_started = True
        self.record.response_bytes = len(body)
        self.finished = True
        await send_response(self.send, status, body, [*headers, self.id_header])

    async def start(self, status: int, headers: RawHeaders) -> None:
        """The head of a streamed response."""
        self.record.status = status
        self.record.response_started = True
        head = [*headers, self.id_header]
        await self.send({"type": "http.response.start", "status": status, "headers": head})

    async def chunk(self, data: bytes) -> None:
        """Part of a streamed body."""
        self.record.response_bytes += len(data)
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def end(self, data: bytes = b"") -> None:
        """The last part of a streamed body."""
        self.finished = True
        self.record.response_bytes += len(data)
        await self.send({"type": "http.response.body", "body": data, "more_body": False})

    async def error(self, exc: GatewayError) -> None:
        """An error in the client's dialect, unless the response has already started."""
        if self.record.response_started:
            return
        extra = [(k.encode(), v.encode()) for k, v in exc.headers.items()]
        await self.complete(exc.status, exc.render(self.api), [JSON_CONTENT_TYPE, *extra])

    async def step_error(self, exc: StepError) -> None:
        """A step's failure: its own body, or its message in the client's dialect."""
        if exc.body is not None:
            if not self.record.response_started:
                await self.complete(exc.status, exc.body, [JSON_CONTENT_TYPE])
            return
        error = GatewayError(
            exc.message, status=exc.status, error_type=exc.error_type, code=exc.code
        )
        await self.error(error)

    async def fail_stream(self, message: str) -> None:
        """End a started stream with the client's error event (no-op once it has ended)."""
        if self.translator is not None and not self.finished:
            await self.end(self.translator.fail(message))


def passed_headers(response: EgressResponse) -> RawHeaders:
    """The egress's response headers a client gets (all but framing and per-hop ones)."""
    return [
        (name.lower(), value)
        for name, value in response.raw_headers
        if name.lower() not in _DROPPED_RESPONSE_HEADERS
    ]


async def _read_all(response: EgressResponse) -> bytes:
    try:
        return await response.read()
    except EgressError as exc:
        raise BadGateway(
            f"LLM egress response failed after status {response.status}: "
            f"{exc or type(exc).__name__}"
        ) from None


async def relay_error_status(response: EgressResponse, relay: ClientRelay) -> None:
    """An egress error answer (status and body) passed to the client unchanged."""
    body = await _read_all(response)
    relay.record.upstream_ended = time.perf_counter()
    relay.record.error = f"egress status {response.status}"
    await relay.complete(response.status, body, passed_headers(response))


async def relay_body(
    response: EgressResponse,
    relay: ClientRelay,
    turn: StateTurn | None,
    chunk_filter: ChunkFilter | None,
) -> bytes:
    """A whole (non-streamed) answer; returns the body sent."""
    body = await _read_all(response)
    relay.record.upstream_ended = time.perf_counter()
    if turn is not None:
        await turn.on_response_body(body)
    if chunk_filter is not None:
        body = await chunk_filter.filter(body)
    await relay.complete(response.status, body, passed_headers(response))
    return body


async def relay_stream(
    response: EgressResponse,
    relay: ClientRelay,
    turn: StateTurn | None,
    chunk_filter: ChunkFilter | None,
) -> None:
    """A streamed answer, forwarded whole event by whole event as the egress sends them."""
    record = relay.record
    translator = new_stream_translator(UpstreamApi(relay.api.value), relay.api, model=record.model)
    relay.translator = translator
    await relay.start(response.status, passed_headers(response))
    try:
        async for chunk in response.content.iter_any():
            out = translator.feed(chunk)
            if out:
                if not record.first_token_at and translator.first_token_seen:
                    record.first_token_at = time.perf_counter()
                await relay.chunk(await _through_steps(out, relay, turn, chunk_filter))
            if translator.done:
                break
        tail = translator.finish()
    except EgressError as exc:
        record.error = f"egress stream failed: {exc or type(exc).__name__}"
        record.error_class = "stream"
        if turn is not None:
            turn.abandon()
        tail = translator.fail(record.error)
    record.upstream_ended = time.perf_counter()
    record.usage = translator.usage
    if tail:
        tail = await _through_steps(tail, relay, turn, chunk_filter)
    await relay.end(tail)
    await _read_terminator(response)


async def _read_terminator(response: EgressResponse) -> None:
    """Read what the egress still sends after the stream's last event (the chunked-encoding
    terminator, a few bytes) so that its connection goes back to the pool: a response released
    before its end closes the connection, and the next request would open a new one."""
    content = response.content
    if content.at_eof():
        return
    with contextlib.suppress(EgressError, TimeoutError):
        async with asyncio.timeout(TERMINATOR_SECONDS):
            await content.read(TERMINATOR_BYTES)


async def _through_steps(
    data: bytes, relay: ClientRelay, turn: StateTurn | None, chunk_filter: ChunkFilter | None
) -> bytes:
    """`data` after the steps, to be sent. The state write is awaited on the reply's final
    event only; the events before it in `data` are sent first, so it never holds them back."""
    if turn is not None:
        start = turn.final_event_start(data)
        if start >= 0:
            if start > 0:
                await relay.chunk(await _filtered(data[:start], chunk_filter))
                data = data[start:]
            await turn.on_stream_events(data)
    return await _filtered(data, chunk_filter)


async def _filtered(data: bytes, chunk_filter: ChunkFilter | None) -> bytes:
    return data if chunk_filter is None else await chunk_filter.filter(data)
