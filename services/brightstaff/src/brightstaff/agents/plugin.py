"""Agents and filters as a brightstaff feature: the model listeners' filter steps, the agent
listeners' apps, and ``/agents/v1/...`` on the internal port."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Mount

from brightstaff.agents.app import AgentListenerApp
from brightstaff.agents.chain import AgentChain
from brightstaff.agents.client import AgentClient
from brightstaff.agents.selection import AgentSelector
from brightstaff.agents.service import AgentLimits, AgentService
from brightstaff.filters.chain import FilterChain, FilterSet
from brightstaff.filters.http import CallerHttp
from brightstaff.filters.observe import CallerMetrics, CallObserver
from brightstaff.filters.steps import ModelInputFilters, ModelOutputFilters
from brightstaff.seams import PathSteps
from brightstaff.settings import settings_from

if TYPE_CHECKING:
    from brightstaff.steps import Plugin, StepContext

__all__ = ["build_agents_and_filters"]


def build_agents_and_filters(ctx: StepContext) -> Plugin:
    """The plugin; empty (no cost) when no listener has agents or filters."""
    from brightstaff.steps import Plugin

    config = ctx.config
    models = [item for item in config.listeners if item.type == "model"]
    agent_listeners = {item.name: item for item in config.listeners if item.type == "agent"}
    if not agent_listeners and not any(m.input_filters or m.output_filters for m in models):
        return Plugin()
    settings = settings_from(config, ctx.environ)
    http = CallerHttp(
        connect_timeout=config.overrides.upstream_connect_timeout_seconds,
        pool_size=settings.pool_size,
    )
    metrics = CallerMetrics(ctx.metrics.registry)
    observer = CallObserver(metrics, ctx.tracing)
    filters = FilterSet(config, http, observer)
    metrics.watch(http.connections_in_use, filters.mcp_sessions_open)

    async def close() -> None:
        await filters.close()
        await http.close()

    inputs = _chains(filters, {m.name: m.input_filters for m in models}, "input")
    outputs = _chains(filters, {m.name: m.output_filters for m in models}, "output")
    steps = PathSteps(
        input_filters=ModelInputFilters(inputs) if inputs else None,
        output_filters=ModelOutputFilters(outputs, metrics) if outputs else None,
    )
    if not agent_listeners:
        return Plugin(steps=steps, aclose=close)
    selector = AgentSelector(
        ctx.egress,
        observer,
        model=config.overrides.agent_orchestration_model,
        context_length=config.overrides.orchestrator_model_context_length,
        timeout_seconds=config.routing.orchestrator_timeout_seconds,
    )
    client = AgentClient({a.id: a.url for a in config.agents}, http)
    timeouts = {a.id: a.timeout_seconds for a in config.agents}
    service = AgentService(
        selector,
        AgentChain(client, filters, observer, timeouts),
        ctx.metrics,
        AgentLimits(max_body_bytes=settings.max_body_bytes),
    )
    listing = ctx.models.listing_body
    mounted = AgentListenerApp(service, agent_listeners, listing)
    extra = tuple(
        (item, AgentListenerApp(service, agent_listeners, listing, fixed=name))
        for name, item in agent_listeners.items()
    )
    return Plugin(
        steps=steps,
        internal_routes=(Mount("/agents", app=mounted),),
        aclose=close,
        extra_listeners=extra,
    )


def _chains(
    filters: FilterSet, ids: dict[str, tuple[str, ...]], direction: str
) -> dict[str, FilterChain]:
    chains: dict[str, FilterChain] = {}
    for name, listed in ids.items():
        chain = filters.chain(listed, direction)
        if chain is not None:
            chains[name] = chain
    return chains
