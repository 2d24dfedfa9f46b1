"""LLM calls through the egress (llm-gateway): non-streaming bodies and relayed streams.

A non-2xx answer of the egress is returned to the client as it is (already OpenAI error JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from prompt_gateway.answers import JSON, Answer, RelayedStream
from prompt_gateway.llm import CHAT_PATH
from prompt_gateway.upstream import Callouts, Target

__all__ = ["FORWARDED_EXCLUDED", "Egress", "forwarded_headers"]

FORWARDED_EXCLUDED = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "proxy-authorization",
        "accept-encoding",
        "traceparent",
        "tracestate",
        "x-request-id",
    }
)


def forwarded_headers(client: Mapping[str, str]) -> dict[str, str]:
    """The client's end-to-end headers passed on to the egress (auth, provider hints, ...)."""
    return {name: value for name, value in client.items() if name not in FORWARDED_EXCLUDED}


class Egress:
    """Sends chat requests to the egress."""

    def __init__(self, callouts: Callouts, target: Target, timeout: float) -> None:
        self.callouts = callouts
        self.target = target
        self.timeout = timeout
        self.path = target.path + CHAT_PATH

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {**headers, "content-type": JSON}

    async def complete(
        self,
        body: dict[str, Any],
        headers: Mapping[str, str],
        decorate: Callable[[dict[str, Any]], None] | None = None,
    ) -> Answer:
        """A non-streaming call; `decorate` may add to a successful JSON answer."""
        reply = await self.callouts.call(
            self.target,
            "POST",
            self.path,
            self._headers(headers),
            msgspec.json.encode(body),
            self.timeout,
        )
        content_type = reply.content_type or JSON
        if reply.status != 200 or decorate is None:
            return Answer(reply.status, reply.body, content_type)
        try:
            data = msgspec.json.decode(reply.body)
        except msgspec.DecodeError:
            return Answer(reply.status, reply.body, content_type)
        if isinstance(data, dict):
            decorate(data)
            return Answer(200, msgspec.json.encode(data), JSON)
        return Answer(reply.status, reply.body, content_type)

    async def stream(
        self, body: dict[str, Any], headers: Mapping[str, str], prefix: bytes = b""
    ) -> Answer | RelayedStream:
        """A streaming call: the stream to relay after `prefix`, or the egress's error answer."""
        response = await self.callouts.open(
            self.target,
            "POST",
            self.path,
            self._headers(headers),
            msgspec.json.encode(body),
            self.timeout,
        )
        if response.status == 200:
            return RelayedStream(prefix, response)
        try:
            data = await self.callouts.read_body(response, self.target, self.path)
        finally:
            response.release()
        return Answer(response.status, data, response.headers.get("content-type", JSON))
