"""Where the optional features plug into brightstaff: each one is a `Plugin` built from the
`StepContext`, and `build_steps` combines them (one line per feature).

A plugin fills some of the `PathSteps` and may add routes: `internal_routes` are served on the
internal API port (:9091), `listener_routes` on every model listener (and on :9091 too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from brightstaff.agents.plugin import build_agents_and_filters
from brightstaff.function_calling.plugin import build_function_calling
from brightstaff.metrics import BrightstaffMetrics
from brightstaff.models import Models
from brightstaff.request import RequestParser
from brightstaff.routing.plugin import build_routing
from brightstaff.seams import ChatCompleter, PathSteps
from brightstaff.signals.plugin import build_signals
from brightstaff.state.plugin import build_state_plugin
from plano_common.config.types import Listener, PlanoConfig
from plano_common.tracing import Tracing

__all__ = ["ExtraListener", "Plugin", "ServiceSteps", "StepContext", "build_steps"]

ExtraListener = tuple[Listener, ASGIApp]
"""A listener bound besides the model listeners, and its app."""


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a plugin may use to build itself."""

    config: PlanoConfig
    environ: Mapping[str, str]
    models: Models
    parser: RequestParser
    """The request parsing the LLM path uses (the routing API must take the same decision)."""
    egress: ChatCompleter
    """Non-streaming chat completions through the egress (orchestrator calls)."""
    metrics: BrightstaffMetrics
    tracing: Tracing | None


@dataclass(frozen=True, slots=True)
class Plugin:
    """What one feature adds: some steps, some routes, how to start and release its resources."""

    steps: PathSteps = field(default_factory=PathSteps)
    internal_routes: Sequence[BaseRoute] = ()
    listener_routes: Sequence[BaseRoute] = ()
    aclose: Callable[[], Awaitable[None]] | None = None
    astart: Callable[[], Awaitable[None]] | None = None
    """Run once at service start-up (in the event loop); must not raise."""
    extra_listeners: Sequence[ExtraListener] = ()
    """Apps of listeners other than the model listeners (agent listeners)."""


@dataclass(frozen=True, slots=True)
class ServiceSteps:
    """Every plugin combined: the steps of the LLM path and the extra routes."""

    steps: PathSteps
    internal_routes: tuple[BaseRoute, ...]
    listener_routes: tuple[BaseRoute, ...]
    closers: tuple[Callable[[], Awaitable[None]], ...]
    starters: tuple[Callable[[], Awaitable[None]], ...] = ()
    extra_listeners: tuple[ExtraListener, ...] = ()

    async def astart(self) -> None:
        """Start every plugin's resources."""
        for start in self.starters:
            await start()

    async def aclose(self) -> None:
        """Release every plugin's resources."""
        for close in self.closers:
            await close()


def build_steps(ctx: StepContext) -> ServiceSteps:
    """The steps and routes of every configured feature."""
    plugins: list[Plugin] = []
    # One line per feature, e.g. plugins.append(build_routing(ctx)).
    plugins.append(build_routing(ctx))
    plugins.append(build_state_plugin(ctx))
    plugins.append(build_function_calling(ctx))
    plugins.append(build_signals(ctx))
    plugins.append(build_agents_and_filters(ctx))
    return combine(plugins)


def combine(plugins: Sequence[Plugin]) -> ServiceSteps:
    """Merge plugins; two plugins filling the same step is a programming error."""
    steps = PathSteps()
    for plugin in plugins:
        for each in fields(PathSteps):
            value = getattr(plugin.steps, each.name)
            if value is None:
                continue
            if getattr(steps, each.name) is not None:
                raise ValueError(f"two plugins provide the {each.name} step")
            steps = replace(steps, **{each.name: value})
    return ServiceSteps(
        steps=steps,
        internal_routes=tuple(r for p in plugins for r in p.internal_routes),
        listener_routes=tuple(r for p in plugins for r in p.listener_routes),
        closers=tuple(p.aclose for p in plugins if p.aclose is not None),
        starters=tuple(p.astart for p in plugins if p.astart is not None),
        extra_listeners=tuple(x for p in plugins for x in p.extra_listeners),
    )
