"""Serving one agent-listener request: read and parse it, pick the agents, run the chain,
answer errors in the original's JSON shapes; a client that disconnects cancels the calls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from brightstaff.agents.chain import AgentChain, ChainRequest
from brightstaff.agents.relay import ReplyWriter
from brightstaff.agents.selection import AgentSelector
from brightstaff.asgi import (
    BodyTooLargeError,
    ClientDisconnectedError,
    Receive,
    Scope,
    Send,
    read_body,
    request_headers,
)
from brightstaff.filters.errors import CallError, agent_chain_error_body, client_error_body
from brightstaff.filters.steps import call_headers
from brightstaff.metrics import BrightstaffMetrics
from brightstaff.request import request_id_of
from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import HermesError
from hermesllm.translate import parse_conversation, render_conversation
from plano_common.config.types import Listener

__all__ = ["HANDLER_AGENT", "AgentLimits", "AgentService"]

HANDLER_AGENT: Final = "agent_chat"
_NOT_FORWARDED: Final = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "accept-encoding",
        "x-arch-agent-listener-name",
    }
)
_decode = msgspec.json.Decoder().decode
logger = logging.getLogger(__name__)


class AgentLimits(msgspec.Struct, frozen=True):
    """Bounds of agent-listener requests."""

    max_body_bytes: int


class _RefusedError(Exception):
    """A request refused before any agent ran (``AgentFilterChainError``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AgentService:
    """The agents of every agent listener."""

    def __init__(
        self,
        selector: AgentSelector,
        chain: AgentChain,
        metrics: BrightstaffMetrics,
        limits: AgentLimits,
    ) -> None:
        self.selector = selector
        self.chain = chain
        self.metrics = metrics
        self.limits = limits
        self._in_flight = metrics.in_flight.labels(HANDLER_AGENT)

    async def handle(
        self, listener: Listener, api: ClientApi, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Serve one request, never raising into the server (except cancellation)."""
        started = time.perf_counter()
        headers = request_headers(scope)
        request_id = request_id_of(headers)
        writer = ReplyWriter(send, api, "", request_id)
        self._in_flight.inc()
        task = asyncio.current_task()
        watcher: asyncio.Task[None] | None = None
        disconnected: list[bool] = []
        try:
            body = await self._read(receive, headers)
            if task is not None:
                watcher = asyncio.create_task(_watch_disconnect(receive, task, disconnected))
            async with asyncio.timeout(listener.timeout_seconds):
                await self._serve(listener, api, headers, body, request_id, writer)
        except CallError as exc:
            logger.warning("agent listener %s: %s", listener.name, exc)
            await writer.complete(exc.status, client_error_body(exc))
        except _RefusedError as exc:
            await writer.complete(exc.status, agent_chain_error_body(exc.message))
        except TimeoutError:
            await writer.fail("request timed out")
            await writer.complete(504, agent_chain_error_body("request timed out"))
        except ClientDisconnectedError:
            disconnected.append(True)
        except asyncio.CancelledError:
            if not disconnected or task is None:
                raise
            task.uncancel()
        except Exception:
            logger.exception("agent listener %s: request %s failed", listener.name, request_id)
            await writer.fail("internal error")
            await writer.complete(500, agent_chain_error_body("internal error"))
        finally:
            if watcher is not None:
                watcher.cancel()
            self._in_flight.dec()
            status = 499 if disconnected and not writer.finished else writer.status or 500
            self.metrics.observe_http(
                HANDLER_AGENT, scope["method"], status, time.perf_counter() - started
            )

    async def _read(self, receive: Receive, headers: Mapping[str, str]) -> bytes:
        limits = self.limits
        try:
            return await read_body(receive, headers.get("content-length"), limits.max_body_bytes)
        except BodyTooLargeError:
            raise _RefusedError(413, "request body too large") from None

    async def _serve(
        self,
        listener: Listener,
        api: ClientApi,
        headers: dict[str, str],
        body: bytes,
        request_id: str,
        writer: ReplyWriter,
    ) -> None:
        chat = chat_request(api, body)
        messages = chat.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _RefusedError(400, "No messages in conversation history")
        writer.model = str(chat.get("model") or "")
        selection = await self.selector.select(listener, messages)
        filter_headers = call_headers(request_id, headers.get("traceparent"))
        request = ChainRequest(
            chat=chat,
            agent_headers={**forwarded(headers), **filter_headers},
            filter_headers=filter_headers,
            timeout_seconds=listener.timeout_seconds,
        )
        await self.chain.run(selection.agents, request, writer)


def chat_request(api: ClientApi, body: bytes) -> dict[str, Any]:
    """The client's request as a Chat Completions body (400 when it cannot be read)."""
    try:
        decoded = _decode(body)
    except msgspec.DecodeError as exc:
        raise _RefusedError(400, f"Request parsing error: invalid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise _RefusedError(400, "Request parsing error: the body must be a JSON object")
    if api is ClientApi.CHAT:
        return decoded
    model = decoded.get("model")
    try:
        conversation = parse_conversation(body, api, model if isinstance(model, str) else "")
        chat = dict(render_conversation(conversation, UpstreamApi.CHAT))
    except HermesError as exc:
        raise _RefusedError(400, f"Request parsing error: {exc}") from None
    chat["stream"] = decoded.get("stream") is True
    return chat


def forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    """The client's headers an agent gets (all but per-hop ones), as JSON."""
    listed = {t.strip() for t in headers.get("connection", "").lower().split(",")}
    out = {
        name: value
        for name, value in headers.items()
        if name not in _NOT_FORWARDED and name not in listed
    }
    out["content-type"] = "application/json"
    return out


async def _watch_disconnect(
    receive: Receive, task: asyncio.Task[Any], disconnected: list[bool]
) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected.append(True)
            task.cancel()
            return
