"""`POST /v1/chat/completions`: runs the prompt flow and writes its answer.

Errors become OpenAI-style JSON with their status; a relayed LLM stream follows the
gateway's own chunks; every request gets one access-log line, metrics and a span.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator

import aiohttp
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hermesllm.apis import ClientApi
from plano_common.errors import GatewayError, InternalError
from prompt_gateway.answers import JSON, SSE, Answer, RelayedStream
from prompt_gateway.egress import forwarded_headers
from prompt_gateway.flow import PromptFlow, RequestContext
from prompt_gateway.observe import Observer, Trail

__all__ = ["REQUEST_ID_HEADER", "ChatEndpoint", "request_id_of"]

logger = logging.getLogger("plano.prompt_gateway")

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


def request_id_of(value: str | None) -> str:
    """The client's request id when it is short printable ASCII, else a new UUID."""
    if value and _REQUEST_ID.match(value):
        return value
    return str(uuid.uuid4())


class ChatEndpoint:
    """The ASGI app of the chat route."""

    def __init__(self, flow: PromptFlow, observer: Observer) -> None:
        self.flow = flow
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        headers = {name.lower(): value for name, value in request.headers.items()}
        request_id = request_id_of(headers.get(REQUEST_ID_HEADER))
        trail = Trail(request_id, scope["path"])
        with self.observer.request(trail, headers):
            if request.method != "POST":
                error = GatewayError("method not allowed; use POST", status=405)
                answer = Answer(405, error.render(ClientApi.CHAT), JSON, {"allow": "POST"})
                result: Answer | RelayedStream = answer
            else:
                ctx = RequestContext(
                    trail,
                    {REQUEST_ID_HEADER: request_id},
                    {**forwarded_headers(headers), REQUEST_ID_HEADER: request_id},
                )
                result = await self._run(request, ctx)
            await self._write(result, trail, scope, receive, send)

    async def _run(self, request: Request, ctx: RequestContext) -> Answer | RelayedStream:
        try:
            return await self.flow.run(await request.body(), ctx)
        except GatewayError as exc:
            return self._error(exc, ctx.trail)
        except Exception:
            logger.exception("prompt flow failed (request %s)", ctx.trail.request_id[:128])
            return self._error(InternalError(), ctx.trail)

    @staticmethod
    def _error(exc: GatewayError, trail: Trail) -> Answer:
        trail.outcome, trail.error = "error", exc.message
        if exc.status >= 500:
            logger.warning("request %s failed: %s", trail.request_id[:128], exc.message[:300])
        return Answer(exc.status, exc.render(ClientApi.CHAT), JSON, dict(exc.headers))

    async def _write(
        self,
        result: Answer | RelayedStream,
        trail: Trail,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        extra = {REQUEST_ID_HEADER: trail.request_id}
        if isinstance(result, Answer):
            trail.status = result.status
            response: Response = Response(
                result.body,
                result.status,
                headers={**result.headers, **extra},
                media_type=result.content_type,
            )
        else:
            trail.status = 200
            response = StreamingResponse(
                _relay(result, trail),
                200,
                headers={**extra, "cache-control": "no-cache"},
                media_type=SSE,
            )
        await response(scope, receive, send)


async def _relay(stream: RelayedStream, trail: Trail) -> AsyncIterator[bytes]:
    """The gateway's chunks, then the LLM's stream as it arrives."""
    upstream = stream.response
    finished = False
    try:
        if stream.prefix:
            yield stream.prefix
        async for data in upstream.content.iter_any():
            yield data
        finished = True
    except (aiohttp.ClientError, TimeoutError) as exc:
        trail.error = f"LLM stream failed: {exc}"
        logger.warning("request %s: LLM stream cut: %s", trail.request_id[:128], exc)
        raise
    finally:
        if finished:
            upstream.release()
        else:
            upstream.close()
