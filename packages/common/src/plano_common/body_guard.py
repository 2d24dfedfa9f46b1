"""Request bodies read with a deadline, a per-request cap and a budget shared by all requests.

``BodyGuard`` is ASGI middleware that reads an HTTP request's whole body before the app runs:

- the body must arrive within ``timeout`` seconds of the request head, else **408**;
- more than ``max_bytes`` (declared or sent) is refused with **413** before it is buffered;
- every buffered byte is reserved from one ``BodyBudget`` shared by all requests of the process
  (a declared Content-Length is reserved up front) and released when the app returns; when the
  budget cannot cover a body the request gets **503** with ``Retry-After``.

Rejections close the connection and use the client's error dialect (Anthropic shape on
``/v1/messages``, OpenAI shape elsewhere). The app then receives the body in one
``http.request`` message; later ``receive()`` calls reach the server (for ``http.disconnect``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hermesllm.apis import ClientApi, client_api_for_path
from hermesllm.error_bodies import render_error
from plano_common.deadlines import Deadlines

__all__ = ["BodyBudget", "BodyGuard", "BodyLimits", "error_response"]


@dataclass(slots=True)
class BodyBudget:
    """Bytes of request bodies the process may hold at once, shared by every request."""

    total: int
    in_use: int = 0

    def reserve(self, size: int) -> bool:
        """Take `size` bytes from the budget; False (nothing taken) when they do not fit."""
        if self.in_use + size > self.total:
            return False
        self.in_use += size
        return True

    def release(self, size: int) -> None:
        """Give back bytes taken with `reserve`."""
        self.in_use = max(0, self.in_use - size)


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """What one request body may cost: bytes, seconds, and its share of the process budget."""

    max_bytes: int
    timeout: float
    budget: BodyBudget = field(compare=False)


class _RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class _Buffered:
    parts: list[bytes]
    reserved: int
    disconnect: Message | None = None


class BodyGuard:
    """ASGI middleware enforcing `BodyLimits` on every HTTP request body."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits
        self._deadlines = Deadlines(limits.timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = self.limits.budget
        buffered = _Buffered([], 0)
        try:
            try:
                await self._read(scope, receive, buffered)
            except _RefusedError as refused:
                await error_response(send, scope, refused.status, refused.message)
                return
            await self.app(scope, _replay(buffered, receive), send)
        finally:
            budget.release(buffered.reserved)

    async def _read(self, scope: Scope, receive: Receive, buffered: _Buffered) -> None:
        limits = self.limits
        cap = min(limits.max_bytes, limits.budget.total)
        declared = _declared_length(scope)
        if declared is not None:
            if declared > cap:
                raise _RefusedError(413, f"request body exceeds the limit of {cap} bytes")
            self._reserve(buffered, declared)
        size = 0
        try:
            with self._deadlines.limit():
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        buffered.disconnect = message
                        return
                    chunk: bytes = message.get("body", b"")
                    size += len(chunk)
                    if size > cap:
                        raise _RefusedError(413, f"request body exceeds the limit of {cap} bytes")
                    if size > buffered.reserved:
                        self._reserve(buffered, size - buffered.reserved)
                    if chunk:
                        buffered.parts.append(chunk)
                    if not message.get("more_body", False):
                        return
        except TimeoutError:
            raise _RefusedError(408, "request body not received in time") from None

    def _reserve(self, buffered: _Buffered, size: int) -> None:
        if not self.limits.budget.reserve(size):
            raise _RefusedError(503, "too many request bodies in flight; retry shortly")
        buffered.reserved += size


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def _replay(buffered: _Buffered, receive: Receive) -> Receive:
    """A receive that yields the buffered body once, then defers to the server."""
    pending: Message | None
    if buffered.disconnect is not None:
        pending = buffered.disconnect
    else:
        pending = {"type": "http.request", "body": b"".join(buffered.parts), "more_body": False}
    buffered.parts = []

    async def replay() -> Message:
        nonlocal pending
        if pending is None:
            return await receive()
        message, pending = pending, None
        return message

    return replay


async def error_response(send: Send, scope: Scope, status: int, message: str) -> None:
    """Send an error in the dialect of the request's path and close the connection."""
    client = client_api_for_path(scope.get("path", "")) or ClientApi.CHAT
    body = render_error(client, status, message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
