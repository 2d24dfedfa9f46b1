"""The HTTP client shared by filter and agent calls: one pooled aiohttp session per process."""

from __future__ import annotations

import weakref
from typing import Any, Final

import aiohttp

from brightstaff.filters.errors import CallError

__all__ = [
    "CONNECT_ERRORS",
    "MAX_REPLY_BYTES",
    "CallerHttp",
    "read_bounded",
    "reason",
    "unreachable",
]

MAX_REPLY_BYTES: Final = 32 * 1024 * 1024
"""The largest filter reply or intermediate agent reply read."""

CONNECT_ERRORS = (
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ClientPayloadError,
    ConnectionResetError,
)


def _tracked_response_class(
    live: weakref.WeakSet[aiohttp.ClientResponse],
) -> type[aiohttp.ClientResponse]:
    """A response class that registers each response, so held connections can be counted."""

    class TrackedResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            live.add(self)

    return TrackedResponse


class CallerHttp:
    """Keep-alive connections to filters and agents, created on first use in the loop."""

    def __init__(self, *, connect_timeout: float, pool_size: int) -> None:
        self._connect_timeout = connect_timeout
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._responses: weakref.WeakSet[aiohttp.ClientResponse] = weakref.WeakSet()

    def session(self) -> aiohttp.ClientSession:
        """The shared session."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self._pool_size, keepalive_timeout=60
            )
            timeout = aiohttp.ClientTimeout(
                total=None, connect=self._connect_timeout, sock_connect=self._connect_timeout
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent",),
                response_class=_tracked_response_class(self._responses),
            )
        return self._session

    def connections_in_use(self) -> int:
        """Connections currently held by a response not yet released (0 when idle)."""
        return sum(1 for response in list(self._responses) if response.connection is not None)

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def reason(exc: BaseException) -> str:
    """A short description of a transport error."""
    return (str(exc) or type(exc).__name__)[:300]


def unreachable(target: str, what: str, exc: BaseException) -> CallError:
    """The failure of a call that got no HTTP answer."""
    return CallError(target, "unreachable", 502, f"{what} {target} unreachable: {reason(exc)}")


async def read_bounded(response: aiohttp.ClientResponse, target: str) -> bytes:
    """The whole body of a reply, refused beyond `MAX_REPLY_BYTES`."""
    declared = response.content_length
    if declared is not None and declared > MAX_REPLY_BYTES:
        raise CallError(target, "invalid_reply", 502, "reply too large")
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise CallError(target, "invalid_reply", 502, "reply too large")
        parts.append(chunk)
    return b"".join(parts)
