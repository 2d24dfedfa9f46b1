"""Minimal ASGI plumbing for the hot path: body reading, plain responses.

The ASGI types are Starlette's (`starlette.types`), re-exported here for the gateway's modules.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Message, Receive, Scope, Send

__all__ = [
    "JSON_CONTENT_TYPE",
    "SSE_CONTENT_TYPE",
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
SSE_CONTENT_TYPE = (b"content-type", b"text/event-stream")


class BodyTooLargeError(Exception):
    """The request body exceeds the configured limit."""


class ClientDisconnectedError(Exception):
    """The client went away before its request body arrived."""


def request_headers(scope: Scope) -> dict[str, str]:
    """The request headers as a dict of lower-case names (repeated names keep the last value)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


async def read_body(receive: Receive, declared_length: str | None, limit: int) -> bytes:
    """Read the whole request body, refusing more than `limit` bytes (before reading when the
    declared Content-Length already exceeds it)."""
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise BodyTooLargeError
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnectedError
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLargeError
        return body
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


async def send_response(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Send a complete response with a Content-Length."""
    raw: RawHeaders = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
