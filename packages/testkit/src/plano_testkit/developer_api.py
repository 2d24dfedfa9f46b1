"""A fake developer API: records every request exactly as received and answers per path.

`respond(path, status, body)` scripts the answer of a decoded path; any other path answers 200
with a JSON echo `{"method", "path", "raw_path", "query", "body"}`. `received` lists the
`HttpRequest`s (raw path, query string, lower-case headers, body) for assertions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from plano_testkit.http_server import HttpRequest
from plano_testkit.small_server import JSON_HEADERS, SmallServer, json_body

__all__ = ["FakeDeveloperApi"]


class FakeDeveloperApi(SmallServer):
    """The fake developer API."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._scripted: dict[str, tuple[int, bytes]] = {}

    def respond(self, path: str, status: int = 200, body: Any = b"") -> None:
        """Answer requests for `path` with this status and body (bytes, str or JSON value)."""
        if isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes):
            data = body
        else:
            data = json_body(body)
        self._scripted[path] = (status, data)

    def reset(self) -> None:
        """Forget requests and scripted answers."""
        super().reset()
        self._scripted.clear()

    @property
    def received(self) -> list[HttpRequest]:
        """Every request so far."""
        return self.requests

    async def handle(self, request: HttpRequest) -> tuple[int, Sequence[tuple[str, str]], bytes]:
        scripted = self._scripted.get(request.path)
        if scripted is not None:
            return scripted[0], JSON_HEADERS, scripted[1]
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = request.body.decode(errors="replace")
        echo = {
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "query": request.query_string,
            "body": body,
        }
        return 200, JSON_HEADERS, json_body(echo)
