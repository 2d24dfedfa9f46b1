"""The fake LLM upstream: every provider's wire format at its real path, scripted per test.

    async with FakeUpstream() as fake:            # in the test's event loop
        fake.enqueue(Reply(text="hi", tool_calls=[ToolCall(name="f", arguments={"a": 1})]))
        ... point a client at fake.url ...
        assert fake.requests[0].json["model"] == "gpt-4o"

    with FakeUpstream() as fake:                  # in a background thread, for sync tests
        ...

Each request takes the next queued `Reply`, else `default_reply` (echo mode unless changed).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import logging
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import msgspec

from hermesllm.usage import Usage
from plano_testkit.echo import echo_text
from plano_testkit.http_server import (
    ClientDisconnectedError,
    ConnectionState,
    HttpProtocol,
    HttpRequest,
    ResponseWriter,
)
from plano_testkit.recording import Outcome, RecordedRequest
from plano_testkit.reply import Reply
from plano_testkit.routing import Route, route
from plano_testkit.small_server import THREAD_START_TIMEOUT, LoopThread
from plano_testkit.wire.anthropic import AnthropicWire
from plano_testkit.wire.base import Headers, WireFormat
from plano_testkit.wire.bedrock import BedrockWire
from plano_testkit.wire.common import ResolvedToolCall, Turn, WireApi, resolve_tool_calls
from plano_testkit.wire.gemini import GeminiWire
from plano_testkit.wire.openai_chat import OpenAIChatWire, openai_error_body
from plano_testkit.wire.openai_responses import OpenAIResponsesWire

__all__ = [
    "DEFAULT_ERROR_MESSAGE",
    "DEFAULT_MODEL",
    "GEMINI_WIRE",
    "HEALTH_PATH",
    "REQUEST_ID_HEADERS",
    "THREAD_START_TIMEOUT",
    "WIRES",
    "FakeUpstream",
]

GEMINI_WIRE = GeminiWire()
WIRES: dict[WireApi, WireFormat] = {
    WireApi.CHAT: OpenAIChatWire(),
    WireApi.RESPONSES: OpenAIResponsesWire(),
    WireApi.MESSAGES: AnthropicWire(),
    WireApi.BEDROCK: BedrockWire(),
    WireApi.GEMINI: GEMINI_WIRE,
}
REQUEST_ID_HEADERS = {
    WireApi.CHAT: "x-request-id",
    WireApi.RESPONSES: "x-request-id",
    WireApi.MESSAGES: "request-id",
    WireApi.BEDROCK: "x-amzn-requestid",
    WireApi.GEMINI: "x-goog-request-id",
}
LOGGER = logging.getLogger("plano_testkit.fake_upstream")
DEFAULT_MODEL = "fake-model"
DEFAULT_ERROR_MESSAGE = "fake upstream error"
HEALTH_PATH = "/healthz"


class FakeUpstream:
    """A scriptable fake of OpenAI, Anthropic, Bedrock and Gemini on one port.

    Use `async with` to run it in the current event loop, or `with` to run it in a background
    thread. `url` is its base URL (no trailing slash); any path prefix works.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, default_reply: Reply | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.default_reply = default_reply or Reply()
        self.requests: list[RecordedRequest] = []
        self.open_connections = 0
        self.total_connections = 0
        self._queue: collections.deque[Reply] = collections.deque()
        self._server: asyncio.Server | None = None
        self._protocols: set[HttpProtocol] = set()
        self._runner = LoopThread("fake-upstream")

    # scripting and inspection

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123."""
        if self._server is None:
            raise RuntimeError("FakeUpstream is not running")
        return f"http://{self.host}:{self.port}"

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies; each request consumes the next one (thread-safe)."""
        self._queue.extend(replies)

    @property
    def queued(self) -> int:
        """Replies still waiting in the queue."""
        return len(self._queue)

    def reset(self) -> None:
        """Forget recorded requests and queued replies."""
        self._queue.clear()
        self.requests.clear()

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (IndexError when there is none)."""
        return self.requests[-1]

    async def wait_for_requests(self, count: int = 1, within: float = 5.0) -> list[RecordedRequest]:
        """Wait up to `within` seconds for `count` requests to arrive; works from any loop."""
        deadline = time.monotonic() + within
        while len(self.requests) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {count} requests, got {len(self.requests)}")
            await asyncio.sleep(0.005)
        return list(self.requests)

    async def wait_for_open_connections(self, count: int = 0, within: float = 5.0) -> None:
        """Wait up to `within` seconds until exactly `count` connections are open."""
        deadline = time.monotonic() + within
        while self.open_connections != count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.open_connections} connections open, expected {count}")
            await asyncio.sleep(0.005)

    def wait_for_requests_sync(self, count: int = 1, within: float = 5.0) -> list[RecordedRequest]:
        """Blocking `wait_for_requests`, for a fake running in a background thread."""
        deadline = time.monotonic() + within
        while len(self.requests) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {count} requests, got {len(self.requests)}")
            time.sleep(0.005)
        return list(self.requests)

    # lifecycle in the current event loop

    async def start(self) -> None:
        """Start listening in the running event loop."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        if self._server is None:
            return
        self._server.close()
        await asyncio.gather(*(protocol.abort() for protocol in list(self._protocols)))
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> FakeUpstream:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # lifecycle in a background thread

    def start_in_thread(self) -> FakeUpstream:
        """Run the fake in a daemon thread with its own event loop; returns self."""
        self._runner.start(self.start, self.stop)
        return self

    def stop_thread(self) -> None:
        """Stop a fake started with `start_in_thread`."""
        self._runner.stop()

    def __enter__(self) -> FakeUpstream:
        return self.start_in_thread()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_thread()

    # serving

    def _new_protocol(self) -> HttpProtocol:
        protocol = HttpProtocol(self._handle, self._connection_opened, self._connection_closed)
        self._protocols.add(protocol)
        protocol.state.on_close.append(lambda _at: self._protocols.discard(protocol))
        return protocol

    def _connection_opened(self, state: ConnectionState) -> None:
        self.open_connections += 1
        self.total_connections += 1

    def _connection_closed(self, state: ConnectionState) -> None:
        self.open_connections -= 1

    async def _handle(self, request: HttpRequest, writer: ResponseWriter) -> None:
        if request.path == HEALTH_PATH:
            await writer.respond(200, [("content-type", "text/plain")], b"ok")
            return
        record = self._record(request)
        writer.connection.on_close.append(record.connection_closed)
        try:
            await self._answer(request, record, writer)
        except (asyncio.CancelledError, ClientDisconnectedError):
            record.finish(Outcome.CLIENT_DISCONNECTED)
            raise
        except Exception:
            LOGGER.exception("fake upstream failed to answer %s %s", request.method, request.path)
            record.finish(Outcome.FAILED)
            writer.cut()
        finally:
            with contextlib.suppress(ValueError):
                writer.connection.on_close.remove(record.connection_closed)

    def _record(self, request: HttpRequest) -> RecordedRequest:
        try:
            decoded: Any = msgspec.json.decode(request.body) if request.body else None
        except msgspec.DecodeError:
            decoded = None
        record = RecordedRequest(
            index=len(self.requests),
            method=request.method,
            path=request.path,
            raw_path=request.raw_path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
            json=decoded,
            received_at=time.monotonic(),
        )
        self.requests.append(record)
        return record

    async def _answer(
        self, request: HttpRequest, record: RecordedRequest, writer: ResponseWriter
    ) -> None:
        matched = route(request.raw_path)
        if matched is None or request.method != "POST":
            status = 404 if matched is None else 405
            body = openai_error_body(
                status, f"no fake endpoint for {request.method} {request.path}", None
            )
            await writer.respond(status, [("content-type", "application/json")], body)
            record.finish(Outcome.COMPLETED)
            return
        reply = self._queue.popleft() if self._queue else self.default_reply
        wire = WIRES[matched.api]
        record.api = matched.api
        record.reply = reply
        record.model = _model(reply, record.json, matched)
        record.stream = _wants_stream(record.json, matched)
        if reply.first_byte_delay:
            await asyncio.sleep(reply.first_byte_delay)
        request_id = f"req_fake{record.index:06d}"
        headers: Headers = [(REQUEST_ID_HEADERS[matched.api], request_id)]
        headers.extend(reply.headers.items())
        if reply.body is not None:
            headers.append(("content-type", reply.content_type))
            await _send_body(writer, record, reply, reply.status, headers, reply.body)
            return
        if reply.is_error or not isinstance(record.json, dict):
            status = reply.status if reply.is_error else 400
            message = reply.error_message or (
                DEFAULT_ERROR_MESSAGE if reply.is_error else "request body is not a JSON object"
            )
            body, extra = wire.error_response(
                status, message, reply.error_type, request_id=request_id
            )
            headers.extend(extra)
            headers.append(("content-type", "application/json"))
            await _send_body(writer, record, reply, status, headers, body)
            return
        if matched.counts_tokens:
            headers.append(("content-type", "application/json"))
            body = msgspec.json.encode({"input_tokens": _counted_input_tokens(reply, record)})
            await _send_body(writer, record, reply, 200, headers, body)
            return
        turn = _turn(wire, reply, record)
        if not record.stream:
            headers.append(("content-type", "application/json"))
            await _send_body(writer, record, reply, 200, headers, wire.json_body(turn))
            return
        content_type = wire.stream_content_type
        if matched.api is WireApi.GEMINI and record.query.get("alt") != "sse":
            events = GEMINI_WIRE.array_events(turn)
            content_type = "application/json"
        else:
            events = wire.stream_events(turn)
        if reply.error_after_events is not None:
            kept = events[: reply.error_after_events]
            message = reply.error_message or DEFAULT_ERROR_MESSAGE
            events = [*kept, wire.stream_error(turn, message, reply.error_type, len(kept))]
        headers.extend([("content-type", content_type), ("cache-control", "no-cache")])
        await writer.start(200, headers)
        await _send_pieces(writer, record, reply, events)


def _model(reply: Reply, body: Any, matched: Route) -> str:
    if reply.model:
        return reply.model
    if isinstance(body, dict) and isinstance(body.get("model"), str) and body["model"]:
        return str(body["model"])
    return matched.path_model or DEFAULT_MODEL


def _wants_stream(body: Any, matched: Route) -> bool:
    if matched.path_streams is not None:
        return matched.path_streams
    return isinstance(body, dict) and body.get("stream") is True


def _stream_options(body: Any) -> dict[str, Any]:
    options = body.get("stream_options") if isinstance(body, dict) else None
    return options if isinstance(options, dict) else {}


def _turn(wire: WireFormat, reply: Reply, record: RecordedRequest) -> Turn:
    tool_calls = resolve_tool_calls(
        tuple(reply.tool_calls), f"{wire.tool_id_prefix}{record.index:06d}_"
    )
    if reply.text is not None:
        text = reply.text
    elif tool_calls:
        text = ""
    else:
        text = echo_text(wire.api, record.json)
    thinking = reply.thinking
    usage = reply.usage or _estimated_usage(record.body, text, thinking, tool_calls)
    signature = (
        reply.thinking_signature
        or base64.b64encode(f"fake-signature-{record.index}".encode()).decode()
    )
    return Turn(
        response_id=f"{wire.response_id_prefix}{record.index:06d}",
        model=record.model or DEFAULT_MODEL,
        created=int(time.time()),
        text=text,
        thinking=thinking,
        thinking_signature=signature,
        tool_calls=tool_calls,
        finish_reason=reply.effective_finish_reason,
        usage=usage,
        include_usage=bool(_stream_options(record.json).get("include_usage")),
        include_obfuscation=_stream_options(record.json).get("include_obfuscation") is not False,
    )


def _counted_input_tokens(reply: Reply, record: RecordedRequest) -> int:
    """Anthropic's count_tokens answer: the reply's input tokens, else about 4 bytes a token."""
    if reply.usage is not None:
        return reply.usage.input_tokens
    return max(1, len(record.body) // 4)


def _estimated_usage(
    body: bytes, text: str, thinking: str | None, tool_calls: Iterable[ResolvedToolCall]
) -> Usage:
    """A deterministic usage estimate: about four bytes per token."""
    reasoning = len(thinking or "") // 4
    arguments = sum(len(call.arguments_json) for call in tool_calls)
    output = max(1, (len(text) + arguments) // 4 + reasoning)
    return Usage(
        input_tokens=max(1, len(body) // 4), output_tokens=output, reasoning_tokens=reasoning
    )


async def _send_body(
    writer: ResponseWriter,
    record: RecordedRequest,
    reply: Reply,
    status: int,
    headers: Headers,
    body: bytes,
) -> None:
    """A complete (non-streaming) body, re-chunked and cut as the reply asks."""
    if reply.chunk_size is None and not reply.cuts:
        await writer.respond(status, headers, body)
        record.finish(Outcome.COMPLETED)
        return
    await writer.start(status, headers, content_length=len(body))
    await _send_pieces(writer, record, reply, [body])


async def _send_pieces(
    writer: ResponseWriter, record: RecordedRequest, reply: Reply, events: list[bytes]
) -> None:
    """Write events (or re-chunked pieces of them) with gaps, then finish or cut."""
    if reply.cut_after_events is not None:
        events = events[: reply.cut_after_events]
    if reply.cut_after_bytes is not None:
        events = _truncated(events, reply.cut_after_bytes)
    for position, data in enumerate(_writes(events, reply)):
        if position and reply.chunk_gap:
            await asyncio.sleep(reply.chunk_gap)
        await writer.write(data)
        record.writes_sent = position + 1
        if reply.chunk_size is not None:
            await asyncio.sleep(0)
    if reply.cuts:
        record.finish(Outcome.CUT)
        writer.cut()
        return
    await writer.finish()
    record.finish(Outcome.COMPLETED)


def _writes(events: list[bytes], reply: Reply) -> list[bytes]:
    """The transport writes: fixed-size pieces, one per event, or everything at once."""
    if reply.chunk_size is not None:
        joined = b"".join(events)
        size = reply.chunk_size
        return [joined[i : i + size] for i in range(0, len(joined), size)]
    if reply.chunk_gap or reply.cuts:
        return events
    return [b"".join(events)]


def _truncated(events: list[bytes], limit: int) -> list[bytes]:
    """The events cut down to their first `limit` bytes."""
    kept: list[bytes] = []
    remaining = limit
    for event in events:
        if remaining <= 0:
            break
        kept.append(event[:remaining])
        remaining -= len(event)
    return kept
