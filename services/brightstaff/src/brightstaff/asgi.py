"""ASGI plumbing of the listeners: types, header decoding, bounded body reads, plain responses."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Message, Receive, Scope, Send

__all__ = [
    "JSON_CONTENT_TYPE",
    "BodyTooLargeError",
    "ClientDisconnectedError",
    "Message",
    "RawHeaders",
    "Receive",
    "Scope",
    "Send",
    "read_body",
    "request_headers",
    "send_response",
]

RawHeaders = list[tuple[bytes, bytes]]
JSON_CONTENT_TYPE = (b"content-type", b"application/json")


class BodyTooLargeError(Exception):
    """The request body exceeds the limit."""


class ClientDisconnectedError(Exception):
    """The client went away before its request body arrived."""


def request_headers(scope: Scope) -> dict[str, str]:
    """The request headers with lower-case names (a repeated name keeps the last value)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


async def read_body(receive: Receive, declared_length: str | None, limit: int) -> bytes:
    """The whole request body: at most `limit` bytes (refused up front when the declared
    Content-Length is larger). Its deadline is the server's (`plano_common.body_guard`)."""
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise BodyTooLargeError
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        if not message.get("more_body", False):
            return b"".join(parts) + chunk if parts else chunk
        parts.append(chunk)


async def send_response(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Send a complete response with a Content-Length."""
    raw: RawHeaders = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
