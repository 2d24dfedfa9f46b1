"""A TCP server that answers with whatever bytes a test writes: an upstream that breaks HTTP.

`RawServer` listens on 127.0.0.1 (a free port) from a daemon thread and hands each accepted
connection to `answer(connection)` in a daemon thread of its own; the connection is closed when
`answer` returns (an `OSError` ends it quietly, as a client hanging up does).
"""

from __future__ import annotations

import contextlib
import socket
import threading

__all__ = ["RawServer"]


class RawServer:
    """Subclasses implement `answer`; `port` is the bound port."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, name=type(self).__name__, daemon=True).start()

    def answer(self, connection: socket.socket) -> None:
        """Talk to one client connection (override)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop accepting connections."""
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection:
            self.answer(connection)
