"""The client of the LLM egress (llm_gateway): one pooled aiohttp session for the process.

`Egress.post` sends one request and returns the response with its body unread (the LLM path
streams it to the client); `EgressChatCompleter` is the non-streaming chat completion the
orchestrator calls use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from brightstaff.seams import ChatCompleter, LlmRequest, StepError
from brightstaff.settings import BrightstaffSettings
from hermesllm.apis import CHAT_COMPLETIONS_PATH
from plano_common.errors import BadGateway, GatewayTimeout
from plano_common.tracing import current_traceparent

__all__ = ["REQUEST_ID_HEADER", "Egress", "EgressChatCompleter"]

REQUEST_ID_HEADER = "x-request-id"
MAX_COMPLETION_BYTES = 8 * 1024 * 1024
"""The largest orchestrator answer read (a routing answer is a few bytes)."""

_CONNECT_ERRORS = (
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    ConnectionResetError,
)


class Egress:
    """Requests to the egress over one shared session, created on first use in the loop."""

    def __init__(self, settings: BrightstaffSettings) -> None:
        self.base_url = settings.egress_url
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}

    def session(self) -> aiohttp.ClientSession:
        """The shared session (pooled keep-alive connections to the egress)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0,
                limit_per_host=self._settings.pool_size,
                keepalive_timeout=60,
                ttl_dns_cache=300,
            )
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=self._settings.connect_timeout,
                sock_connect=self._settings.connect_timeout,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                auto_decompress=True,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Content-Type", "Accept-Encoding"),
            )
        return self._session

    def url(self, path: str) -> URL:
        """The egress URL of a request path (cached per path)."""
        found = self._urls.get(path)
        if found is None:
            found = self._urls[path] = URL(self.base_url + path, encoded=True)
        return found

    async def post(
        self, path: str, headers: Mapping[str, str], body: bytes
    ) -> aiohttp.ClientResponse:
        """POST to the egress; the response comes back with its body unread.

        Raises `BadGateway` when the egress cannot be reached or answers with something
        other than HTTP, `GatewayTimeout` when connecting times out.
        """
        try:
            return await self.session().post(
                self.url(path), data=body, headers=headers, allow_redirects=False
            )
        except aiohttp.ConnectionTimeoutError as exc:
            raise GatewayTimeout(f"LLM egress connect timeout ({self.base_url})") from exc
        except _CONNECT_ERRORS as exc:
            raise BadGateway(f"LLM egress unreachable at {self.base_url}: {_reason(exc)}") from exc
        except aiohttp.ClientError as exc:
            raise BadGateway(f"LLM egress sent an invalid response: {_reason(exc)}") from exc

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None


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
