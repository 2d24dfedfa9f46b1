"""The state feature as a brightstaff plugin: the state step, the `/v1/responses/{id}` routes
on every model listener (and :9091), start-up (pool, table, retention) and shutdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brightstaff.seams import PathSteps
from brightstaff.state.routes import state_routes
from brightstaff.state.service import build_state

if TYPE_CHECKING:
    from brightstaff.steps import Plugin, StepContext

__all__ = ["build_state_plugin"]


def build_state_plugin(ctx: StepContext) -> Plugin:
    """The plugin of `state_storage`; an empty one when it is not configured."""
    from brightstaff.steps import Plugin  # steps imports this module

    state = build_state(ctx.config, ctx.metrics.registry)
    if state is None:
        return Plugin()
    return Plugin(
        steps=PathSteps(state=state),
        listener_routes=state_routes(state),
        astart=state.start,
        aclose=state.close,
    )
