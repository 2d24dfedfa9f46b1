"""The client of the LLM egress (llm_gateway): one pool of keep-alive connections for the
process (see `brightstaff.egress_http`).

`Egress.post` sends one request and returns the response with its body unread (the LLM path
streams it to the client); `EgressChatCompleter` is the non-streaming chat completion the
orchestrator calls use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import msgspec

from brightstaff.egress_http import (
    EgressConnectError,
    EgressConnectTimeoutError,
    EgressError,
    EgressPool,
    EgressResponse,
)
from brightstaff.seams import ChatCompleter, LlmRequest, StepError
from brightstaff.settings import BrightstaffSettings
from hermesllm.apis import CHAT_COMPLETIONS_PATH
from plano_common.errors import BadGateway, GatewayTimeout
from plano_common.tracing import current_traceparent

__all__ = ["REQUEST_ID_HEADER", "Egress", "EgressChatCompleter", "EgressError", "EgressResponse"]

REQUEST_ID_HEADER = "x-request-id"
MAX_COMPLETION_BYTES = 8 * 1024 * 1024
"""The largest orchestrator answer read (a routing answer is a few bytes)."""
KEEPALIVE_SECONDS = 60.0
"""An idle pooled connection older than this is closed instead of reused."""


class Egress:
    """Requests to the egress over one shared pool, created on first use in the loop."""

    def __init__(self, settings: BrightstaffSettings) -> None:
        self.base_url = settings.egress_url
        self._settings = settings
        self._pool: EgressPool | None = None

    def pool(self) -> EgressPool:
        """The shared pool of keep-alive connections to the egress."""
        if self._pool is None:
            self._pool = EgressPool(
                self.base_url,
                limit=self._settings.pool_size,
                connect_timeout=self._settings.connect_timeout,
                keepalive=KEEPALIVE_SECONDS,
            )
        return self._pool

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> EgressResponse:
        """POST to the egress; the response comes back with its body unread.

        Raises `BadGateway` when the egress cannot be reached or answers with something
        other than HTTP, `GatewayTimeout` when connecting times out.
        """
        try:
            return await self.pool().request(path, headers, body)
        except EgressConnectTimeoutError as exc:
            raise GatewayTimeout(f"LLM egress connect timeout ({self.base_url})") from exc
        except EgressConnectError as exc:
            raise BadGateway(f"LLM egress unreachable at {self.base_url}: {_reason(exc)}") from exc
        except EgressError as exc:
            raise BadGateway(f"LLM egress sent an invalid response: {_reason(exc)}") from exc

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class EgressChatCompleter(ChatCompleter):
    """A non-streaming Chat Completions call through the egress."""

    def __init__(self, egress: Egress) -> None:
        self._egress = egress

    async def __call__(
        self, body: dict[str, Any], *, request: LlmRequest | None, timeout_seconds: float
    ) -> dict[str, Any]:
        headers = {"content-type": "application/json"}
        if request is not None:
            headers[REQUEST_ID_HEADER] = request.request_id
        traceparent = current_traceparent() or (request.traceparent if request else None)
        if traceparent:
            headers["traceparent"] = traceparent
        payload = msgspec.json.encode({**body, "stream": False})
        async with asyncio.timeout(timeout_seconds):
            try:
                response = await self._egress.post(CHAT_COMPLETIONS_PATH, headers, payload)
            except (BadGateway, GatewayTimeout) as exc:
                raise StepError(exc.status, exc.message) from None
            async with response:
                data = await response.content.read(MAX_COMPLETION_BYTES)
        if response.status >= 400:
            message = data[:512].decode("utf-8", errors="replace")
            raise StepError(response.status, f"orchestrator call failed: {message}")
        try:
            decoded = msgspec.json.decode(data)
        except msgspec.DecodeError:
            raise StepError(502, "orchestrator answer is not JSON") from None
        if not isinstance(decoded, dict):
            raise StepError(502, "orchestrator answer is not a JSON object")
        return decoded
