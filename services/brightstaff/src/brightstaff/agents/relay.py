"""Sending the last agent's reply to the client, in the client's API: a stream event by event
as it arrives, or a whole body; errors as JSON before anything else was sent."""

from __future__ import annotations

import aiohttp

from brightstaff.asgi import JSON_CONTENT_TYPE, Send, send_response
from brightstaff.filters.errors import CallError
from brightstaff.filters.http import read_bounded, reason
from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import ResponseParseError
from hermesllm.streaming import StreamTranslator, new_stream_translator
from hermesllm.translate import translate_response

__all__ = ["ReplyWriter"]

_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


class ReplyWriter:
    """The client side of one agent-listener request."""

    def __init__(self, send: Send, api: ClientApi, model: str, request_id: str) -> None:
        self._send = send
        self._api = api
        self._id_header = (b"x-request-id", request_id.encode("latin-1"))
        self.model = model
        self._translator: StreamTranslator | None = None
        self.status = 0
        self.started = False
        self.finished = False

    async def relay(self, agent_id: str, response: aiohttp.ClientResponse) -> None:
        """The agent's reply, translated to the client's API."""
        if response.content_type == "text/event-stream":
            await self._stream(agent_id, response)
            return
        body = await read_bounded(response, agent_id)
        try:
            out = translate_response(body, UpstreamApi.CHAT, self._api, model=self.model)
        except ResponseParseError as exc:
            raise CallError(
                agent_id, "invalid_reply", 502, f"not a chat completion: {exc}"
            ) from None
        await self.complete(200, out)

    async def _stream(self, agent_id: str, response: aiohttp.ClientResponse) -> None:
        translator = new_stream_translator(UpstreamApi.CHAT, self._api, model=self.model)
        self._translator = translator
        self.status, self.started = 200, True
        head = [*_SSE_HEADERS, self._id_header]
        await self._send({"type": "http.response.start", "status": 200, "headers": head})
        try:
            async for chunk in response.content.iter_any():
                out = translator.feed(chunk)
                if out:
                    await self._send({"type": "http.response.body", "body": out, "more_body": True})
                if translator.done:
                    break
            tail = translator.finish()
        except aiohttp.ClientError as exc:
            tail = translator.fail(f"agent {agent_id} stream failed: {reason(exc)}")
        await self._end(tail)

    async def _end(self, data: bytes) -> None:
        self.finished = True
        await self._send({"type": "http.response.body", "body": data, "more_body": False})

    async def complete(self, status: int, body: bytes) -> None:
        """A whole JSON response (ignored once a response has started)."""
        if self.started:
            return
        self.status, self.started, self.finished = status, True, True
        await send_response(self._send, status, body, [JSON_CONTENT_TYPE, self._id_header])

    async def fail(self, message: str) -> None:
        """End a started stream with the client's error event."""
        if self._translator is not None and not self.finished:
            await self._end(self._translator.fail(message))
