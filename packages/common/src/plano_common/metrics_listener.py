"""Moving `/metrics` off a service's API port onto its own listener.

`without_metrics(app)` answers `/metrics` with 404 and passes everything else (lifespan
included) to `app`; `metrics_only(app)` passes `GET /metrics` and `/healthz` to the same `app`
and answers 404 otherwise. It answers lifespan events itself, so the app starts and stops once.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["METRICS_PATH", "metrics_only", "without_metrics"]

METRICS_PATH = "/metrics"
_ALLOWED_ON_METRICS_PORT = frozenset((METRICS_PATH, "/healthz"))
_NOT_FOUND = b'{"error":{"message":"not found","type":"not_found_error","param":null,"code":null}}'


async def _not_found(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_NOT_FOUND)).encode()),
    ]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": _NOT_FOUND, "more_body": False})


def without_metrics(app: ASGIApp) -> ASGIApp:
    """`app` with `/metrics` hidden (404)."""

    async def api(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == METRICS_PATH:
            await _not_found(send)
            return
        await app(scope, receive, send)

    return api


def metrics_only(app: ASGIApp) -> ASGIApp:
    """Only `/metrics` and `/healthz` of `app`; lifespan handled here, not passed on."""

    async def metrics(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] in _ALLOWED_ON_METRICS_PORT:
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await _not_found(send)

    return metrics


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
