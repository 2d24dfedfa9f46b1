"""Drive an ASGI application in-process, without a server or sockets."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Scope

__all__ = ["call_asgi"]


async def call_asgi(app: ASGIApp, method: str, path: str) -> tuple[int, bytes]:
    """Send one bodiless HTTP/1.1 request to `app` and return (status, body)."""
    sent: list[Message] = []
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body
