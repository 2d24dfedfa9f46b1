"""Counts the upstream TCP connections that are open, through aiohttp's public socket factory.

The connector creates every upstream socket with `SocketCounter.factory`; a socket counts from
its creation until it is closed (by the pool when idle too long, by the peer, or at shutdown),
whether it sits idle in the pool or carries a request.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

__all__ = ["SocketCounter"]


class _CountedSocket(socket.socket):
    """A socket that reports its first close."""

    __slots__ = ("_on_close",)

    def __init__(self, family: int, kind: int, proto: int, on_close: Callable[[], None]) -> None:
        super().__init__(family=family, type=kind, proto=proto)
        self._on_close: Callable[[], None] | None = on_close

    def close(self) -> None:
        """Close the socket; the first call is counted."""
        callback, self._on_close = self._on_close, None
        super().close()
        if callback is not None:
            callback()


class SocketCounter:
    """The number of upstream sockets created by `factory` and not closed yet."""

    def __init__(self) -> None:
        self.open = 0

    def factory(self, addr_info: tuple[int, int, int, str, tuple[Any, ...]]) -> socket.socket:
        """A new socket for `addr_info` (aiohttp's `TCPConnector(socket_factory=...)`)."""
        family, kind, proto, _, _ = addr_info
        sock = _CountedSocket(family, kind, proto, self._closed)
        self.open += 1
        return sock

    def _closed(self) -> None:
        self.open -= 1
