"""Client disconnects as callbacks, without a task per request waiting on ``receive()``.

The server puts the ``ClientConnection`` of each HTTP request in its ASGI scope
(``scope["extensions"]``). A handler registers a callback while it works and removes it when
done; the server runs the callbacks when the client's connection ends (the client closed or
reset it, or the server closed it):

    connection = client_connection(scope)
    if connection is not None:
        connection.on_close(callback)
        try:
            await work()
        finally:
            connection.remove(callback)

Outside the server (another ASGI server, or an app driven directly by a test) there is none,
and a handler watches ``receive()`` for ``http.disconnect`` instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CLIENT_CONNECTION_EXTENSION", "ClientConnection", "client_connection"]

CLIENT_CONNECTION_EXTENSION = "plano.client_connection"


class ClientConnection:
    """One client connection's end, as callbacks run once when it closes."""

    __slots__ = ("_callbacks", "closed")

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []
        self.closed = False

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the connection closes (now when it already has)."""
        if self.closed:
            callback()
        else:
            self._callbacks.append(callback)

    def remove(self, callback: Callable[[], None]) -> None:
        """Forget a callback given to `on_close` (nothing when it is not there)."""
        with contextlib.suppress(ValueError):
            self._callbacks.remove(callback)

    def close(self) -> None:
        """Mark the connection closed and run the callbacks (only the first time)."""
        if self.closed:
            return
        self.closed = True
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


def client_connection(scope: Mapping[str, Any]) -> ClientConnection | None:
    """The server's `ClientConnection` of a request scope, or None outside the Plano server."""
    extensions = scope.get("extensions")
    if not isinstance(extensions, dict):
        return None
    connection = extensions.get(CLIENT_CONNECTION_EXTENSION)
    return connection if isinstance(connection, ClientConnection) else None
