"""Signals as a brightstaff feature: the after-response step (off with
``overrides.disable_signals``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brightstaff.seams import PathSteps
from brightstaff.signals.emit import SignalMetrics
from brightstaff.signals.worker import SignalsStep
from plano_common.tracing import LLM

if TYPE_CHECKING:
    from brightstaff.steps import Plugin, StepContext

__all__ = ["SIGNALS_COMPONENT", "build_signals"]

SIGNALS_COMPONENT = LLM
"""The tracing service name of the ``signals`` span (a child of the LLM span)."""


def build_signals(ctx: StepContext) -> Plugin:
    """The signals step, or nothing when the config disables signals."""
    from brightstaff.steps import Plugin

    if ctx.config.overrides.disable_signals:
        return Plugin()
    tracer = ctx.tracing.tracer(SIGNALS_COMPONENT) if ctx.tracing is not None else None
    step = SignalsStep(SignalMetrics(ctx.metrics.registry), tracer)
    return Plugin(steps=PathSteps(after_response=step), astart=step.astart, aclose=step.aclose)
