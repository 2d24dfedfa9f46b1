"""POST /v1/messages/count_tokens: Anthropic's token-counting endpoint.

For an Anthropic provider the request goes to the provider's own
`/v1/messages/count_tokens` with only `model` rewritten, and its answer (or error) comes back
unchanged. For every other provider the input tokens are counted locally with the offline
tokenizer over all prompt text (system, messages, tool calls and results, tool definitions):
an estimate, since other providers tokenize differently and add their own framing tokens.
Counting goes through the gateway's `AsyncTokenCounter`, so a large prompt never blocks the
event loop (past its size and queue bounds the count is characters/4). The answer is
`{"input_tokens": N}`; errors are in Anthropic's shape.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

import msgspec
from yarl import URL

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.error_bodies import translate_error
from hermesllm.provider_ids import ProviderId
from llm_gateway.access_log import AccessLog
from llm_gateway.asgi import (
    JSON_CONTENT_TYPE,
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
from llm_gateway.client_json import decode_client_json
from llm_gateway.ratelimiting import input_tokens
from llm_gateway.record import RequestRecord
from llm_gateway.routes import PROVIDER_HINT_HEADER, ProviderRoute, RouteTable
from llm_gateway.settings import GatewaySettings
from llm_gateway.transport import Attempts, UpstreamTransport, read_bounded
from plano_common.errors import (
    BadGateway,
    BadRequest,
    GatewayError,
    GatewayTimeout,
    InternalError,
    PayloadTooLarge,
)
from plano_common.forwarded import peer_host
from plano_common.request_ids import new_request_id
from plano_common.token_counter import AsyncTokenCounter

__all__ = ["COUNT_TOKENS_PATH", "CountTokensEndpoint"]

COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
UPSTREAM_SUFFIX = "/count_tokens"
MAX_UPSTREAM_BODY_BYTES = 1024 * 1024
_REQUEST_ID_HEADER = "x-request-id"
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
logger = logging.getLogger(__name__)


class CountTokensEndpoint:
    """Serves POST /v1/messages/count_tokens."""

    def __init__(
        self,
        settings: GatewaySettings,
        routes: RouteTable,
        transport: UpstreamTransport,
        tokens: AsyncTokenCounter,
        access_log: AccessLog,
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.transport = transport
        self.tokens = tokens
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request, never raising into the server."""
        headers = self.settings.trusted_proxies.filter(request_headers(scope), peer_host(scope))
        request_id = headers.get(_REQUEST_ID_HEADER) or new_request_id()
        record = RequestRecord(
            request_id, scope["path"], time.perf_counter(), client_api=ClientApi.MESSAGES.value
        )
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        try:
            async with asyncio.timeout(self.settings.route_timeout):
                status, body = await self._serve(receive, headers, record)
        except GatewayError as exc:
            record.error = exc.message
            status, body = exc.status, exc.render(ClientApi.MESSAGES)
        except TimeoutError:
            record.error = "route timeout"
            status, body = 504, GatewayTimeout().render(ClientApi.MESSAGES)
        except ClientDisconnectedError:
            return
        except Exception as exc:
            logger.exception("count_tokens request %s failed", request_id)
            record.error = f"internal error: {type(exc).__name__}"
            status, body = 500, InternalError("internal gateway error").render(ClientApi.MESSAGES)
        record.status = status
        await send_response(send, status, body, [JSON_CONTENT_TYPE, id_header])
        record.ended = time.perf_counter()
        self.access_log.write(record)

    async def _serve(
        self, receive: Receive, headers: dict[str, str], record: RequestRecord
    ) -> tuple[int, bytes]:
        request = await self._read(receive, headers)
        requested = request.get("model")
        if not isinstance(requested, str) or not requested:
            raise BadRequest("model: Field required", param="model")
        record.requested_model = requested
        route = self.routes.select(headers.get(PROVIDER_HINT_HEADER), requested)
        record.provider = route.name
        record.model = route.model
        if route.provider_id is ProviderId.ANTHROPIC:
            return await self._forward(route, headers, request, record)
        tokens = await input_tokens(self.tokens, route.model, request, ClientApi.MESSAGES)
        record.input_tokens = tokens
        return 200, _encode({"input_tokens": tokens})

    async def _read(self, receive: Receive, headers: dict[str, str]) -> dict[str, Any]:
        limit = self.settings.max_body_bytes
        try:
            body = await read_body(receive, headers.get("content-length"), limit)
        except BodyTooLargeError:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes") from None
        request = decode_client_json(body)
        if not isinstance(request, dict):
            raise BadRequest("Request parsing error: the body must be a JSON object")
        if not isinstance(request.get("messages"), list):
            raise BadRequest("messages: Field required (a list)", param="messages")
        return request

    async def _forward(
        self,
        route: ProviderRoute,
        headers: dict[str, str],
        request: dict[str, Any],
        record: RequestRecord,
    ) -> tuple[int, bytes]:
        request["model"] = route.model
        body = _encode(request)
        messages = route.target(ClientApi.MESSAGES, False)
        target = dataclasses.replace(messages, path=messages.path + UPSTREAM_SUFFIX)
        upstream_headers = build_upstream_headers(
            route.auth, UpstreamApi.MESSAGES, headers, target, body
        )
        upstream_headers[_REQUEST_ID_HEADER] = record.request_id
        url = URL(f"{route.scheme}://{target.authority}{target.path}", encoded=True)
        attempts = Attempts()
        record.upstream_started = time.perf_counter()
        deadline = time.monotonic() + self.settings.route_timeout
        try:
            response = await self.transport.send(url, upstream_headers, body, attempts, deadline)
        finally:
            record.attempts = attempts.count
        try:
            payload = await read_bounded(response, MAX_UPSTREAM_BODY_BYTES)
        finally:
            response.release()
            record.upstream_ended = time.perf_counter()
        if response.status >= 400:
            record.error = f"upstream status {response.status}"
            error = translate_error(
                payload, response.status, UpstreamApi.MESSAGES, ClientApi.MESSAGES
            )
            return response.status, self.routes.scrubber.scrub(error, route.client_secret(headers))
        return response.status, _checked_count(payload, response.status)


def _checked_count(payload: bytes, status: int) -> bytes:
    """The upstream's success body when it carries an integer `input_tokens`, else 502."""
    try:
        answer = _decode(payload)
    except msgspec.DecodeError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("input_tokens"), int):
        raise BadGateway(f"upstream answered {status} without an integer input_tokens")
    return payload
