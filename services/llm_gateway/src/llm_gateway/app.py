"""The llm-gateway ASGI application."""

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def healthz(_: Request) -> PlainTextResponse:
    """Liveness: 200 while the process serves requests."""
    return PlainTextResponse("ok")


def build_app(config: Any) -> Starlette:
    """Build the application for a loaded config."""
    app = Starlette(routes=[Route("/healthz", healthz, methods=["GET"])])
    app.state.config = config
    return app
