"""Function calling as a brightstaff feature: ``POST /function_calling`` on the internal API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brightstaff.function_calling.arch import ArchFunctionBackend
from brightstaff.function_calling.native import NativeToolsBackend
from brightstaff.function_calling.routes import Backend, FunctionCallingApi, function_calling_routes
from brightstaff.function_calling.settings import choose_backend, timeout_seconds
from brightstaff.function_calling.upstream import ModelClient
from brightstaff.settings import settings_from

if TYPE_CHECKING:
    from brightstaff.steps import Plugin, StepContext

__all__ = ["build_function_calling"]


def build_function_calling(ctx: StepContext) -> Plugin:
    """The ``/function_calling`` route over the configured backend."""
    from brightstaff.steps import Plugin

    settings = settings_from(ctx.config, ctx.environ)
    client = ModelClient(settings.egress_url, connect_timeout=settings.connect_timeout)
    choice = choose_backend(ctx.config, ctx.models, ctx.environ)
    backend: Backend | None = None
    if choice is not None and choice.kind == "arch":
        backend = ArchFunctionBackend(client, choice.provider, choice.model)
    elif choice is not None:
        backend = NativeToolsBackend(client, choice.provider, choice.model)
    api = FunctionCallingApi(
        backend,
        ctx.metrics,
        max_body_bytes=settings.max_body_bytes,
        timeout_seconds=timeout_seconds(ctx.environ),
    )
    return Plugin(internal_routes=function_calling_routes(api), aclose=client.close)
