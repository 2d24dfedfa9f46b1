"""The ASGI applications of brightstaff's ports.

`ListenerApp` serves one port: the LLM path on POST /v1/chat/completions, /v1/messages and
/v1/responses (a small dispatcher: this is the hot path), `GET /v1/models` with CORS
(`OPTIONS` 204), `/healthz`, `/metrics` when asked, and the routes plugins add (Starlette);
anything else is a JSON 404.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import CollectorRegistry
from starlette.routing import BaseRoute, Router

from brightstaff.asgi import JSON_CONTENT_TYPE, Receive, Scope, Send, send_response
from brightstaff.llm_path import LlmPath
from brightstaff.metrics import (
    HANDLER_HEALTH,
    HANDLER_LIST_MODELS,
    HANDLER_NOT_FOUND,
    HANDLER_PREFLIGHT,
    BrightstaffMetrics,
)
from hermesllm.apis import ClientApi, client_api_for_path
from plano_common.errors import GatewayError, NotFound
from plano_common.metrics import render_metrics

__all__ = ["CORS_HEADERS", "ListenerApp"]

MODELS_PATHS = frozenset({"/v1/models", "/agents/v1/models"})
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-max-age", b"86400"),
]
_TEXT = (b"content-type", b"text/plain; charset=utf-8")


class ListenerApp:
    """The ASGI app of one brightstaff port."""

    def __init__(
        self,
        name: str,
        llm_path: LlmPath,
        models_body: bytes,
        metrics: BrightstaffMetrics,
        *,
        routes: Sequence[BaseRoute] = (),
        serve_metrics: bool = False,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
        on_startup: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self.llm_path = llm_path
        self.metrics = metrics
        self._models_body = models_body
        self._router = Router(routes=list(routes), redirect_slashes=False, default=_not_found)
        self._has_routes = bool(routes)
        self._registry: CollectorRegistry | None = metrics.registry if serve_metrics else None
        self._on_shutdown = on_shutdown
        self._on_startup = on_startup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            api = client_api_for_path(path)
            if api is not None and scope["method"] == "POST":
                await self.llm_path(api, scope, receive, send)
            else:
                await self._other(scope, receive, send, path, api)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _other(
        self, scope: Scope, receive: Receive, send: Send, path: str, api: ClientApi | None
    ) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        handler, status = HANDLER_NOT_FOUND, 404
        if path in MODELS_PATHS:
            handler, status = await _models(send, method, self._models_body)
        elif path == "/healthz":
            handler, status = HANDLER_HEALTH, 200
            await send_response(send, 200, b"ok", [_TEXT])
        elif path == "/metrics" and self._registry is not None:
            body, content_type = render_metrics(self._registry, _header(scope, b"accept"))
            await send_response(send, 200, body, [(b"content-type", content_type.encode())])
            return
        elif api is not None:
            status = 405
            error = GatewayError("method not allowed; use POST", status=405)
            await send_response(
                send, 405, error.render(api), [JSON_CONTENT_TYPE, (b"allow", b"POST")]
            )
        elif self._has_routes:
            handler, status = "routes", 0
            await self._router(scope, receive, send)
        else:
            await _not_found(scope, receive, send)
        if status:
            self.metrics.observe_http(handler, method, status, time.perf_counter() - started)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._on_startup is not None:
                    await self._on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._on_shutdown is not None:
                    await self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _models(send: Send, method: str, body: bytes) -> tuple[str, int]:
    if method == "OPTIONS":
        headers = [*CORS_HEADERS, (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return HANDLER_PREFLIGHT, 204
    if method not in ("GET", "HEAD"):
        error = GatewayError("method not allowed; use GET", status=405)
        allow = (b"allow", b"GET, HEAD, OPTIONS")
        await send_response(
            send, 405, error.render(ClientApi.CHAT), [JSON_CONTENT_TYPE, allow, *CORS_HEADERS]
        )
        return HANDLER_LIST_MODELS, 405
    await send_response(send, 200, body, [JSON_CONTENT_TYPE, *CORS_HEADERS])
    return HANDLER_LIST_MODELS, 200


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    error = NotFound(f"no route for {scope.get('method', '')} {scope.get('path', '')[:200]}")
    await send_response(send, 404, error.render(ClientApi.CHAT), [JSON_CONTENT_TYPE])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
