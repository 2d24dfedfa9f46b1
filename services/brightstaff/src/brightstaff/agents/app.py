"""The ASGI app of agent listeners.

On an agent listener's own port: POST ``/v1/chat/completions``, ``/v1/messages``,
``/v1/responses`` run the agents, ``GET /v1/models`` lists the models, ``/healthz``. Mounted
at ``/agents`` on the internal port, the same paths under ``/agents/v1/...`` serve the
listener named by the ``x-arch-agent-listener-name`` header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from brightstaff.agents.service import AgentService
from brightstaff.asgi import JSON_CONTENT_TYPE, Receive, Scope, Send, send_response
from brightstaff.filters.errors import agent_chain_error_body
from brightstaff.listeners import CORS_HEADERS
from hermesllm.apis import client_api_for_path
from plano_common.config.types import Listener

__all__ = ["LISTENER_HEADER", "AgentListenerApp"]

LISTENER_HEADER: Final = b"x-arch-agent-listener-name"
_PREFIX: Final = "/agents"


class AgentListenerApp:
    """Agent listeners over HTTP: one fixed listener, or the one a header names."""

    def __init__(
        self,
        service: AgentService,
        listeners: Mapping[str, Listener],
        models_body: bytes,
        *,
        fixed: str | None = None,
        on_startup: Callable[[], Awaitable[None]] | None = None,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._service = service
        self._listeners = dict(listeners)
        self._models_body = models_body
        self._fixed = fixed
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if self._fixed is None and path.startswith(_PREFIX):
            path = path[len(_PREFIX) :]
        method: str = scope["method"]
        api = client_api_for_path(path)
        if api is not None and method == "POST":
            listener = self._listener(scope)
            if listener is None:
                message = "Listener not found for name: " + _named(scope)[:100]
                await _json(send, 404, agent_chain_error_body(message))
                return
            await self._service.handle(listener, api, scope, receive, send)
        elif path == "/v1/models" and method in ("GET", "HEAD"):
            await send_response(send, 200, self._models_body, [JSON_CONTENT_TYPE, *CORS_HEADERS])
        elif path == "/v1/models" and method == "OPTIONS":
            await send_response(send, 204, b"", CORS_HEADERS)
        elif path == "/healthz" and self._fixed is not None:
            await send_response(send, 200, b"ok", [(b"content-type", b"text/plain")])
        else:
            message = f"no route for {method} {scope['path'][:200]}"
            await _json(send, 404 if api is None else 405, agent_chain_error_body(message))

    def _listener(self, scope: Scope) -> Listener | None:
        name = self._fixed if self._fixed is not None else _named(scope)
        return self._listeners.get(name)

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


def _named(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == LISTENER_HEADER:
            return str(value.decode("latin-1"))
    return ""


async def _json(send: Send, status: int, body: bytes) -> None:
    await send_response(send, status, body, [JSON_CONTENT_TYPE])
