"""The request pipeline of POST /v1/chat/completions, /v1/messages and /v1/responses.

read body → parse → select provider → rate limit → translate → send (retries) → relay the
answer (translated, streamed event by event) → metrics, access log, span.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from hermesllm.apis import ClientApi, UpstreamApi, same_api
from hermesllm.error_bodies import translate_error
from hermesllm.errors import (
    HermesError,
    ReplyShapeError,
    RequestParseError,
    SseBufferOverflowError,
    UnsupportedConversionError,
)
from hermesllm.providers import upstream_api_for
from hermesllm.streaming import StreamTranslator, new_stream_translator
from hermesllm.translate import (
    prepare_upstream_request,
    response_output_text,
    translate_response_with_usage,
)
from llm_gateway.asgi import (
    JSON_CONTENT_TYPE,
    SSE_CONTENT_TYPE,
    BodyTooLargeError,
    ClientDisconnectedError,
    Receive,
    Scope,
    Send,
    read_body,
    request_headers,
    send_response,
)
from llm_gateway.auth import build_upstream_headers
from llm_gateway.client_json import NESTING_TOO_DEEP, decode_client_json
from llm_gateway.observe import Observer
from llm_gateway.ratelimiting import TokenLimits, input_tokens
from llm_gateway.record import RequestRecord
from llm_gateway.routes import PROVIDER_HINT_HEADER, ProviderRoute, RouteTable
from llm_gateway.settings import GatewaySettings
from llm_gateway.transport import Attempts, UpstreamTransport, read_bounded
from plano_common.deadlines import Deadlines
from plano_common.disconnect import client_connection
from plano_common.drain import DrainCutError, cut_on_drain
from plano_common.errors import (
    BadGateway,
    BadRequest,
    GatewayError,
    GatewayTimeout,
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
)
from plano_common.forwarded import peer_host
from plano_common.request_ids import new_request_id
from plano_common.secret_scrub import SecretScrubber
from plano_common.token_counter import AsyncTokenCounter

REQUEST_ID_HEADER = "x-request-id"
PROMPT_CACHE_HEADER = "x-plano-cache"
CLIENT_CLOSED_STATUS = 499
CLIENT_CLOSED = "client_closed"
_FORWARDED_RESPONSE_PREFIXES = (b"x-ratelimit-", b"anthropic-ratelimit-")
logger = logging.getLogger(__name__)


class Pipeline:
    """Serves the three client APIs."""

    def __init__(
        self,
        settings: GatewaySettings,
        routes: RouteTable,
        transport: UpstreamTransport,
        limits: TokenLimits,
        observer: Observer,
        tokens: AsyncTokenCounter,
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.transport = transport
        self.limits = limits
        self.observer = observer
        self.tokens = tokens
        self._route_deadlines = Deadlines(settings.route_timeout)

    async def __call__(self, client: ClientApi, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request of the `client` API, never raising into the server."""
        started = time.perf_counter()
        headers = self.settings.trusted_proxies.filter(request_headers(scope), peer_host(scope))
        request_id = headers.get(REQUEST_ID_HEADER) or new_request_id()
        record = RequestRecord(request_id, scope["path"], started, client_api=client.value)
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        relay = _Relay(send, id_header, record, self.routes.scrubber)
        self.observer.request_started()
        stop_watching: Callable[[], object] | None = None
        task = asyncio.current_task()
        try:
            try:
                body = await read_body(
                    receive, headers.get("content-length"), self.settings.max_body_bytes
                )
            except BodyTooLargeError:
                raise PayloadTooLarge(
                    f"request body exceeds the limit of {self.settings.max_body_bytes} bytes"
                ) from None
            if task is not None:
                stop_watching = _watch_client(scope, receive, task, record)
            with self._route_deadlines.limit():
                async with cut_on_drain(scope):
                    await self._serve(client, headers, body, record, relay)
        except GatewayError as exc:
            record.error = exc.message
            await relay.error(client, exc)
        except TimeoutError:
            record.error = "route timeout"
            if relay.translator is not None and not relay.finished:
                await relay.end(relay.translator.fail("upstream request timed out"))
            else:
                await relay.error(client, GatewayTimeout("upstream request timed out"))
        except DrainCutError:
            record.error = "cut at shutdown: drain time over"
            if relay.translator is not None and not relay.finished:
                await relay.end(relay.translator.fail("the gateway is shutting down"))
                record.status = ServiceUnavailable.status  # logged as failed, not 200
            else:
                await relay.error(client, ServiceUnavailable("the gateway is shutting down"))
        except ClientDisconnectedError:
            record.disconnected = True
        except asyncio.CancelledError:
            if not record.disconnected or task is None:
                raise
            task.uncancel()
        except RecursionError:
            await _nested_too_deeply(client, relay)
        except Exception as exc:
            logger.exception("request %s failed", request_id)
            record.error = f"internal error: {type(exc).__name__}"
            if relay.translator is not None and not relay.finished:
                await relay.end(relay.translator.fail("internal gateway error"))
            else:
                await relay.error(client, InternalError("internal gateway error"))
        finally:
            if stop_watching is not None:
                stop_watching()
            if record.disconnected and not relay.finished:
                record.status = CLIENT_CLOSED_STATUS
                record.error = CLIENT_CLOSED
            record.ended = time.perf_counter()
            self.observer.request_finished(record)

    async def _serve(
        self,
        client: ClientApi,
        headers: dict[str, str],
        body: bytes,
        record: RequestRecord,
        relay: _Relay,
    ) -> None:
        """parse → route and limit → build the upstream request → send and relay."""
        request = _parse(client, body, record)
        route, upstream = await self._route(client, headers, request, record)
        outbound = self._build(client, headers, body, request, route, upstream, record)
        await self._send_and_relay(client, request, outbound, record, relay)
        if record.input_tokens is None:
            record.input_tokens = await input_tokens(
                self.tokens, record.model, request.body, client
            )

    async def _route(
        self,
        client: ClientApi,
        headers: dict[str, str],
        request: _ParsedRequest,
        record: RequestRecord,
    ) -> tuple[ProviderRoute, UpstreamApi]:
        """Select the provider and apply its token rate limit.

        Writes the record's routing facts: provider, model, input tokens, rate limited."""
        route = self.routes.select(headers.get(PROVIDER_HINT_HEADER), request.requested)
        record.provider = route.name
        record.model = route.model
        upstream = upstream_api_for(route.provider_id, client)
        translated = client is ClientApi.RESPONSES and upstream is not UpstreamApi.RESPONSES
        if translated and request.body.get("previous_response_id"):
            raise _no_conversation_state(route.name)
        if self.limits.applies_to(route.model):
            record.input_tokens = await input_tokens(self.tokens, route.model, request.body, client)
            try:
                await self.limits.check(route.model, headers, record.input_tokens)
            except GatewayError:
                record.rate_limited = True
                raise
        return route, upstream

    def _build(
        self,
        client: ClientApi,
        headers: dict[str, str],
        body: bytes,
        request: _ParsedRequest,
        route: ProviderRoute,
        upstream: UpstreamApi,
        record: RequestRecord,
    ) -> _Outbound:
        """Translate the body and build the upstream headers (signed, with trace context).

        Writes only the record's span (through the observer)."""
        cache_min_tokens = self.settings.prompt_cache_min_tokens
        if headers.get(PROMPT_CACHE_HEADER, "").lower() == "off":
            cache_min_tokens = None
        try:
            upstream_body = prepare_upstream_request(
                body,
                client,
                upstream,
                provider=route.provider_id,
                model=route.model,
                cache_min_prefix_tokens=cache_min_tokens,
                decoded=request.body,
            )
        except RequestParseError as exc:
            raise BadRequest(f"Request parsing error: {exc}") from None
        except UnsupportedConversionError as exc:
            raise BadRequest(str(exc)) from None
        streaming = request.streaming
        target = route.target(client, streaming)
        upstream_headers = build_upstream_headers(
            route.auth, upstream, headers, target, upstream_body
        )
        upstream_headers[REQUEST_ID_HEADER] = record.request_id
        self.observer.propagate(headers, upstream_headers, record)
        return _Outbound(
            upstream=upstream,
            url=route.url(client, streaming),
            headers=upstream_headers,
            body=upstream_body,
            reported_model=route.model,
            secrets=route.client_secret(headers),
        )

    async def _send_and_relay(
        self,
        client: ClientApi,
        request: _ParsedRequest,
        outbound: _Outbound,
        record: RequestRecord,
        relay: _Relay,
    ) -> None:
        """Send upstream (with retries) and relay the answer to the client.

        Writes the record's upstream facts: attempts, upstream times, status, usage."""
        attempts = Attempts()
        record.upstream_started = time.perf_counter()
        deadline = time.monotonic() + self.settings.route_timeout
        try:
            response = await self.transport.send(
                outbound.url, outbound.headers, outbound.body, attempts, deadline
            )
        finally:
            record.attempts = attempts.count
        upstream = outbound.upstream
        relay.secrets = outbound.secrets
        try:
            if response.status >= 400:
                await self._relay_error(response, upstream, client, relay)
            elif response.status >= 300:
                raise _redirect_refused(response)
            elif request.streaming:
                translator = new_stream_translator(
                    upstream,
                    client,
                    model=outbound.reported_model,
                    include_usage=request.include_usage,
                )
                relay.translator = translator
                await self._relay_stream(response, translator, relay, record)
            else:
                await self._relay_json(
                    response, upstream, client, outbound.reported_model, relay, record
                )
        except BaseException:
            response.close()
            raise
        finally:
            response.release()
            if not record.upstream_ended:
                record.upstream_ended = time.perf_counter()

    async def _relay_error(
        self,
        response: aiohttp.ClientResponse,
        upstream: UpstreamApi,
        client: ClientApi,
        relay: _Relay,
    ) -> None:
        payload = await read_bounded(response, self.settings.upstream.max_body_bytes)
        relay.record.upstream_ended = time.perf_counter()
        body = relay.scrub(translate_error(payload, response.status, upstream, client))
        relay.record.error = f"upstream status {response.status}"
        await relay.complete(response.status, body, JSON_CONTENT_TYPE, _passed_headers(response))

    async def _relay_json(
        self,
        response: aiohttp.ClientResponse,
        upstream: UpstreamApi,
        client: ClientApi,
        model: str,
        relay: _Relay,
        record: RequestRecord,
    ) -> None:
        payload = await read_bounded(response, self.settings.upstream.max_body_bytes)
        record.upstream_ended = time.perf_counter()
        try:
            body, usage = translate_response_with_usage(payload, upstream, client, model=model)
        except ReplyShapeError as exc:
            raise _unusable_reply(response, str(exc)) from None
        except HermesError as exc:
            logger.warning("upstream response could not be translated: %s", exc)
            raise BadGateway("upstream response could not be translated") from None
        if usage is None and same_api(client, upstream):
            _require_json_object(payload, response)
        if usage is not None:
            record.input_tokens = usage.input_tokens
            record.output_tokens = usage.output_tokens
        else:
            record.output_tokens = await self._counted_output_tokens(
                payload, upstream, record.model
            )
        await relay.complete(response.status, body, JSON_CONTENT_TYPE, _passed_headers(response))

    async def _counted_output_tokens(
        self, payload: bytes, upstream: UpstreamApi, model: str
    ) -> int | None:
        """Output tokens counted locally for a response that reported no usage."""
        try:
            text = response_output_text(payload, upstream)
        except HermesError:
            return None
        return await self.tokens.count(model, text)

    async def _relay_stream(
        self,
        response: aiohttp.ClientResponse,
        translator: StreamTranslator,
        relay: _Relay,
        record: RequestRecord,
    ) -> None:
        await relay.start(response.status, SSE_CONTENT_TYPE, _passed_headers(response))
        budget = self.settings.upstream.max_stream_bytes
        try:
            async for chunk in response.content.iter_any():
                budget -= len(chunk)
                if budget < 0:
                    raise StreamTooLargeError(self.settings.upstream.max_stream_bytes)
                out = translator.feed(chunk)
                if out:
                    if not record.first_token_at and translator.first_token_seen:
                        record.first_token_at = time.perf_counter()
                    await relay.chunk(out)
                if translator.done:
                    # The final event arrived: end the client stream now even if the upstream
                    # keeps its connection open (the unread rest closes that connection).
                    break
            record.upstream_ended = time.perf_counter()
            tail = translator.finish()
        except (aiohttp.ClientError, HermesError, StreamTooLargeError) as exc:
            record.upstream_ended = time.perf_counter()
            record.error = f"upstream stream failed: {exc or type(exc).__name__}"
            # The client learns what failed; upstream bytes quoted by an error stay in the log.
            own = isinstance(exc, StreamTooLargeError | SseBufferOverflowError)
            tail = translator.fail(str(exc) if own else "upstream stream failed")
        usage = translator.usage
        if usage is not None:
            record.input_tokens = usage.input_tokens or record.input_tokens
            record.output_tokens = usage.output_tokens
        else:
            record.output_tokens = translator.estimated_output_tokens or None
        await relay.end(tail)


@dataclass(frozen=True, slots=True)
class _ParsedRequest:
    """The decoded client request and the facts read from it."""

    body: dict[str, Any]
    requested: str | None
    streaming: bool
    include_usage: bool


@dataclass(frozen=True, slots=True)
class _Outbound:
    """The request to send upstream."""

    upstream: UpstreamApi
    url: URL
    headers: dict[str, str]
    body: bytes
    reported_model: str
    secrets: tuple[bytes, ...] = ()
    """Forms of the client's own key when it is passed upstream (masked in the answer)."""


def _parse(client: ClientApi, body: bytes, record: RequestRecord) -> _ParsedRequest:
    """Decode and check the client body (400 when it is unusable).

    Writes the record's request facts: requested model, streaming."""
    parsed = decode_client_json(body)
    if not isinstance(parsed, dict):
        raise BadRequest("Request parsing error: the body must be a JSON object")
    if client is not ClientApi.RESPONSES and not isinstance(parsed.get("messages"), list):
        raise BadRequest("Request parsing error: `messages` must be a list", param="messages")
    requested = parsed.get("model")
    if requested is not None and not isinstance(requested, str):
        raise BadRequest("Request parsing error: `model` must be a string", param="model")
    streaming = parsed.get("stream") is True
    record.requested_model = requested or ""
    record.streaming = streaming
    return _ParsedRequest(
        body=parsed,
        requested=requested,
        streaming=streaming,
        include_usage=streaming and _wants_usage(parsed),
    )


class StreamTooLargeError(Exception):
    """An upstream stream exceeded the byte limit of one response."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"upstream stream exceeds the limit of {limit} bytes")


class _Relay:
    """Sends the client response and remembers whether any byte has gone out."""

    __slots__ = ("finished", "id_header", "record", "scrubber", "secrets", "send", "translator")

    def __init__(
        self,
        send: Send,
        id_header: tuple[bytes, bytes],
        record: RequestRecord,
        scrubber: SecretScrubber,
    ) -> None:
        self.send = send
        self.id_header = id_header
        self.record = record
        self.scrubber = scrubber
        self.secrets: tuple[bytes, ...] = ()
        self.translator: StreamTranslator | None = None
        self.finished = False

    def scrub(self, data: bytes) -> bytes:
        """``data`` with every configured secret and the client's passed-on key masked."""
        return self.scrubber.scrub(data, self.secrets)

    async def complete(
        self,
        status: int,
        body: bytes,
        content_type: tuple[bytes, bytes],
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        self.record.status = status
        self.record.response_started = True
        await send_response(self.send, status, body, [content_type, self.id_header, *extra])
        self.finished = True

    async def start(
        self, status: int, content_type: tuple[bytes, bytes], extra: list[tuple[bytes, bytes]]
    ) -> None:
        self.record.status = status
        self.record.response_started = True
        headers = [content_type, (b"cache-control", b"no-cache"), self.id_header, *extra]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def chunk(self, data: bytes) -> None:
        data = self.scrub(data)
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def end(self, data: bytes) -> None:
        self.finished = True
        data = self.scrub(data)
        await self.send({"type": "http.response.body", "body": data, "more_body": False})

    async def error(self, client: ClientApi, exc: GatewayError) -> None:
        if self.record.response_started:
            return
        extra = [(k.encode(), v.encode()) for k, v in exc.headers.items()]
        await self.complete(exc.status, exc.render(client), JSON_CONTENT_TYPE, extra)


def _watch_client(
    scope: Scope, receive: Receive, task: asyncio.Task[Any], record: RequestRecord
) -> Callable[[], object]:
    """Cancel the request's task when the client disconnects; returns what stops watching.

    Under the Plano server the client connection calls back when it closes; elsewhere a task
    waits for `http.disconnect`."""
    connection = client_connection(scope)
    if connection is not None:
        gone = functools.partial(_client_gone, task, record)
        connection.on_close(gone)
        return functools.partial(connection.remove, gone)
    return asyncio.create_task(_watch_disconnect(receive, task, record)).cancel


def _client_gone(task: asyncio.Task[Any], record: RequestRecord) -> None:
    record.disconnected = True
    task.cancel()


async def _watch_disconnect(
    receive: Receive, task: asyncio.Task[Any], record: RequestRecord
) -> None:
    """Cancel the request's task when the client disconnects."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            record.disconnected = True
            task.cancel()
            return


def _no_conversation_state(provider: str) -> BadRequest:
    """400 for `previous_response_id` to a provider without Responses state: forwarding only
    the new input would answer without the conversation's history."""
    return BadRequest(
        f"previous_response_id is not supported here: provider '{provider}' keeps no "
        "Responses API conversation state and the LLM egress stores none. Send the request to "
        "the model listener (brightstaff, with state_storage configured), or send the whole "
        "conversation in `input`.",
        param="previous_response_id",
        code="previous_response_not_supported",
    )


def _redirect_refused(response: aiohttp.ClientResponse) -> BadGateway:
    """Redirects are not followed (they would carry the provider's credentials elsewhere).
    The target is logged, not told to the client (it may be an internal address)."""
    location = response.headers.get("location", "nowhere")
    logger.warning("upstream answered %s redirecting to %s", response.status, location)
    return BadGateway(
        f"upstream answered {response.status} (a redirect); redirects are not followed: set "
        "the provider's base_url to the final address (the service log names it)"
    )


def _unusable_reply(response: aiohttp.ClientResponse, problem: str) -> BadGateway:
    """502 for a success body the client cannot use. ``problem`` is the parser's or the
    gateway's wording, never upstream bytes; the content type is logged only."""
    content_type = response.headers.get("content-type", "none")
    logger.warning(
        "upstream answered %s with an unusable body (content-type %s): %s",
        response.status,
        content_type,
        problem,
    )
    return BadGateway(f"upstream answered {response.status} with a body that is {problem}")


async def _nested_too_deeply(client: ClientApi, relay: _Relay) -> None:
    """JSON nested deeper than the interpreter can walk: the client's body (400) or, once
    the request went upstream, the upstream's answer (502)."""
    record = relay.record
    error: GatewayError
    if record.upstream_started:
        error = BadGateway("upstream response is nested too deeply")
    else:
        error = BadRequest(NESTING_TOO_DEEP)
    record.error = error.message
    if relay.translator is not None and not relay.finished:
        await relay.end(relay.translator.fail(error.message))
    else:
        await relay.error(client, error)


def _require_json_object(payload: bytes, response: aiohttp.ClientResponse) -> None:
    """Refuse a pass-through success body that is not a JSON object (502), so a client never
    gets a 200 it cannot parse."""
    try:
        msgspec.json.decode(payload, type=msgspec.Raw)
    except msgspec.DecodeError as exc:
        problem = f"not a JSON object ({exc})"
    else:
        if payload.lstrip()[:1] == b"{":
            return
        problem = "not a JSON object (another JSON value)"
    raise _unusable_reply(response, problem)


def _wants_usage(parsed: dict[str, Any]) -> bool:
    options = parsed.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _passed_headers(response: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for name, value in response.raw_headers:
        lowered = name.lower()
        if lowered == b"retry-after" or lowered.startswith(_FORWARDED_RESPONSE_PREFIXES):
            out.append((lowered, value))
    return out
