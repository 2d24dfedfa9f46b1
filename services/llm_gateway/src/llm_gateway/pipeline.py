"""The request pipeline of POST /v1/chat/completions, /v1/messages and /v1/responses.

read body → parse → select provider → rate limit → translate → send (retries) → relay the
answer (translated, streamed event by event) → metrics, access log, span.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import aiohttp
import msgspec

from hermesllm.apis import ClientApi, UpstreamApi, same_api
from hermesllm.error_bodies import translate_error
from hermesllm.errors import HermesError, RequestParseError, UnsupportedConversionError
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
from llm_gateway.observe import Observer
from llm_gateway.ratelimiting import TokenLimits, input_tokens
from llm_gateway.record import RequestRecord
from llm_gateway.routes import PROVIDER_HINT_HEADER, RouteTable
from llm_gateway.settings import GatewaySettings
from llm_gateway.transport import Attempts, UpstreamTransport
from plano_common.errors import (
    BadGateway,
    BadRequest,
    GatewayError,
    GatewayTimeout,
    InternalError,
    PayloadTooLarge,
)
from plano_common.tokenizer import count_tokens

REQUEST_ID_HEADER = "x-request-id"
PROMPT_CACHE_HEADER = "x-plano-cache"
_FORWARDED_RESPONSE_PREFIXES = (b"x-ratelimit-", b"anthropic-ratelimit-")
_decode = msgspec.json.Decoder().decode
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
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.transport = transport
        self.limits = limits
        self.observer = observer

    async def __call__(self, client: ClientApi, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request of the `client` API, never raising into the server."""
        started = time.perf_counter()
        headers = request_headers(scope)
        request_id = headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        record = RequestRecord(request_id, scope["path"], started, client_api=client.value)
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        relay = _Relay(send, id_header, record)
        self.observer.request_started()
        watcher: asyncio.Task[None] | None = None
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
                watcher = asyncio.create_task(_watch_disconnect(receive, task, record))
            async with asyncio.timeout(self.settings.route_timeout):
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
        except ClientDisconnectedError:
            record.disconnected = True
        except asyncio.CancelledError:
            if not record.disconnected or task is None:
                raise
            task.uncancel()
        except Exception as exc:
            logger.exception("request %s failed", request_id)
            record.error = f"internal error: {type(exc).__name__}"
            if relay.translator is not None and not relay.finished:
                await relay.end(relay.translator.fail("internal gateway error"))
            else:
                await relay.error(client, InternalError("internal gateway error"))
        finally:
            if watcher is not None:
                watcher.cancel()
            if record.disconnected and not record.status:
                record.status = 499
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
        try:
            parsed = _decode(body)
        except msgspec.DecodeError as exc:
            raise BadRequest(f"Request parsing error: invalid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise BadRequest("Request parsing error: the body must be a JSON object")
        if client is not ClientApi.RESPONSES and not isinstance(parsed.get("messages"), list):
            raise BadRequest("Request parsing error: `messages` must be a list", param="messages")
        requested = parsed.get("model")
        if requested is not None and not isinstance(requested, str):
            raise BadRequest("Request parsing error: `model` must be a string", param="model")
        record.requested_model = requested or ""
        streaming = parsed.get("stream") is True
        record.streaming = streaming
        route = self.routes.select(headers.get(PROVIDER_HINT_HEADER), requested)
        record.provider = route.name
        record.model = route.model
        upstream = upstream_api_for(route.provider_id, client, streaming=streaming)
        if self.limits.applies_to(route.model):
            record.input_tokens = input_tokens(route.model, parsed, client)
            try:
                await self.limits.check(route.model, headers, record.input_tokens)
            except GatewayError:
                record.rate_limited = True
                raise
        include_usage = streaming and _wants_usage(parsed)
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
                decoded=parsed,
            )
        except RequestParseError as exc:
            raise BadRequest(f"Request parsing error: {exc}") from None
        except UnsupportedConversionError as exc:
            raise BadRequest(str(exc)) from None
        target = route.target(client, streaming)
        upstream_headers = build_upstream_headers(
            route.auth, upstream, headers, target, upstream_body
        )
        upstream_headers[REQUEST_ID_HEADER] = record.request_id
        self.observer.propagate(headers, upstream_headers, record)
        attempts = Attempts()
        record.upstream_started = time.perf_counter()
        deadline = time.monotonic() + self.settings.route_timeout
        try:
            response = await self.transport.send(
                route.url(client, streaming), upstream_headers, upstream_body, attempts, deadline
            )
        finally:
            record.attempts = attempts.count
        reported_model = requested or route.model
        try:
            if response.status >= 400:
                await self._relay_error(response, upstream, client, relay)
            elif response.status >= 300:
                raise _redirect_refused(response)
            elif streaming:
                translator = new_stream_translator(
                    upstream, client, model=reported_model, include_usage=include_usage
                )
                relay.translator = translator
                await self._relay_stream(response, translator, relay, record)
            else:
                await self._relay_json(response, upstream, client, reported_model, relay, record)
        except BaseException:
            response.close()
            raise
        finally:
            response.release()
            if not record.upstream_ended:
                record.upstream_ended = time.perf_counter()
        self.observer.fill_missing_usage(record, parsed, client)

    async def _relay_error(
        self,
        response: aiohttp.ClientResponse,
        upstream: UpstreamApi,
        client: ClientApi,
        relay: _Relay,
    ) -> None:
        payload = await _read_upstream_body(response)
        relay.record.upstream_ended = time.perf_counter()
        body = translate_error(payload, response.status, upstream, client)
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
        payload = await _read_upstream_body(response)
        record.upstream_ended = time.perf_counter()
        try:
            body, usage = translate_response_with_usage(payload, upstream, client, model=model)
        except HermesError as exc:
            raise GatewayError(
                f"upstream response could not be translated: {exc}", status=502
            ) from None
        if usage is None and same_api(client, upstream):
            _require_json_object(payload, response)
        if usage is not None:
            record.input_tokens = usage.input_tokens
            record.output_tokens = usage.output_tokens
        else:
            record.output_tokens = _counted_output_tokens(payload, upstream, record.model)
        await relay.complete(response.status, body, JSON_CONTENT_TYPE, _passed_headers(response))

    async def _relay_stream(
        self,
        response: aiohttp.ClientResponse,
        translator: StreamTranslator,
        relay: _Relay,
        record: RequestRecord,
    ) -> None:
        await relay.start(response.status, SSE_CONTENT_TYPE, _passed_headers(response))
        try:
            async for chunk in response.content.iter_any():
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
        except (aiohttp.ClientError, HermesError) as exc:
            record.upstream_ended = time.perf_counter()
            record.error = f"upstream stream failed: {exc or type(exc).__name__}"
            tail = translator.fail(record.error)
        usage = translator.usage
        if usage is not None:
            record.input_tokens = usage.input_tokens or record.input_tokens
            record.output_tokens = usage.output_tokens
        else:
            record.output_tokens = translator.estimated_output_tokens or None
        await relay.end(tail)


class _Relay:
    """Sends the client response and remembers whether any byte has gone out."""

    __slots__ = ("finished", "id_header", "record", "send", "translator")

    def __init__(self, send: Send, id_header: tuple[bytes, bytes], record: RequestRecord) -> None:
        self.send = send
        self.id_header = id_header
        self.record = record
        self.translator: StreamTranslator | None = None
        self.finished = False

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

    async def start(
        self, status: int, content_type: tuple[bytes, bytes], extra: list[tuple[bytes, bytes]]
    ) -> None:
        self.record.status = status
        self.record.response_started = True
        headers = [content_type, (b"cache-control", b"no-cache"), self.id_header, *extra]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def chunk(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def end(self, data: bytes) -> None:
        self.finished = True
        await self.send({"type": "http.response.body", "body": data, "more_body": False})

    async def error(self, client: ClientApi, exc: GatewayError) -> None:
        if self.record.response_started:
            return
        extra = [(k.encode(), v.encode()) for k, v in exc.headers.items()]
        await self.complete(exc.status, exc.render(client), JSON_CONTENT_TYPE, extra)


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


def _redirect_refused(response: aiohttp.ClientResponse) -> BadGateway:
    """Redirects are not followed (they would carry the provider's credentials elsewhere)."""
    location = response.headers.get("location", "nowhere")
    return BadGateway(
        f"upstream answered {response.status} redirecting to {location}; redirects are not "
        "followed: set the provider's base_url to the final address"
    )


async def _read_upstream_body(response: aiohttp.ClientResponse) -> bytes:
    """The whole upstream body; a body cut short or undecodable is a 502."""
    try:
        return await response.read()
    except aiohttp.ClientError as exc:
        raise BadGateway(
            f"upstream response body failed after status {response.status}: "
            f"{exc or type(exc).__name__}"
        ) from None


def _require_json_object(payload: bytes, response: aiohttp.ClientResponse) -> None:
    """Refuse a pass-through success body that is not a JSON object (502), so a client never
    gets a 200 it cannot parse."""
    try:
        msgspec.json.decode(payload, type=msgspec.Raw)
    except msgspec.DecodeError as exc:
        problem = str(exc)
    else:
        if payload.lstrip()[:1] == b"{":
            return
        problem = "not a JSON object"
    content_type = response.headers.get("content-type", "none")
    raise BadGateway(
        f"upstream answered {response.status} with a body that is not a JSON object "
        f"(content-type {content_type}): {problem}"
    )


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


def _counted_output_tokens(payload: bytes, upstream: UpstreamApi, model: str) -> int | None:
    """Output tokens counted locally for a response that reported no usage."""
    try:
        return count_tokens(model, response_output_text(payload, upstream))
    except HermesError:
        return None
