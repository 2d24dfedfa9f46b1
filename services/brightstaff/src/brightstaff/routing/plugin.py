"""Routing as a brightstaff feature: the router step and the routing API routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brightstaff.routing import build_router
from brightstaff.routing.api import RoutingApi, routing_api_routes
from brightstaff.seams import PathSteps
from brightstaff.settings import settings_from

if TYPE_CHECKING:
    from brightstaff.steps import Plugin, StepContext

__all__ = ["build_routing"]


def build_routing(ctx: StepContext) -> Plugin:
    """The router (always on: requests may carry their own preferences) and the routing API."""
    from brightstaff.steps import Plugin

    tracer = ctx.tracing.tracer("plano(routing)") if ctx.tracing is not None else None
    router = build_router(ctx.config, ctx.egress, ctx.metrics, tracer=tracer)
    settings = settings_from(ctx.config, ctx.environ)
    api = RoutingApi(
        ctx.parser,
        router,
        router.metrics,
        ctx.metrics,
        ctx.tracing,
        max_body_bytes=settings.max_body_bytes,
    )
    return Plugin(
        steps=PathSteps(router=router),
        internal_routes=routing_api_routes(api),
        aclose=router.close,
    )
