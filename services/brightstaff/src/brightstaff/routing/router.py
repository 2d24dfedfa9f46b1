"""Preference routing through the orchestrator model, with session affinity.

For each request: resolve the session (``x-model-affinity`` or the implicit key), reuse the
session's model when it is pinned, else ask the orchestrator which route fits the latest user
intent and order that route's models by its selection policy; then let the session router
keep or switch the session's model. The orchestrator failing, timing out or answering garbage
never fails the request: the requested model is kept and the reason is counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from opentelemetry import trace
from opentelemetry.trace import Span, Tracer

from brightstaff.routing.affinity import (
    AFFINITY_HEADER,
    MAX_SESSION_ID_LENGTH,
    implicit_affinity,
)
from brightstaff.routing.answer import (
    MalformedAnswerError,
    answer_content,
    first_known_route,
    route_names,
)
from brightstaff.routing.conversation import conversation, is_user_turn
from brightstaff.routing.latency import LatencyBook
from brightstaff.routing.metrics import RouteKind, RoutingMetrics
from brightstaff.routing.prices import PriceBook
from brightstaff.routing.prompt import ChatTurn, RouteSpec, orchestrator_body
from brightstaff.routing.ranking import rank_by_metric
from brightstaff.routing.session import SessionFacts, SessionKeeper, budget_for
from brightstaff.routing.store import SessionBinding
from brightstaff.seams import ChatCompleter, LlmRequest, RoutingDecision, StepError
from hermesllm.introspect import tool_names
from plano_common.config.types import RoutingBudget, RoutingPreference

__all__ = ["PreferenceRouter", "RouterSettings"]

logger = logging.getLogger(__name__)

MAX_TENANT_LENGTH: Final = 128
IMPLICIT_HASH_IN_THREAD_BYTES: Final = 64 * 1024
"""Prompts larger than this are hashed off the event loop."""


@dataclass(frozen=True, slots=True)
class RouterSettings:
    """The routing knobs of a config."""

    routing_model: str
    preferences: tuple[RoutingPreference, ...] = ()
    context_length: int = 8192
    timeout_seconds: float = 2.0
    route_on_user_only: bool = False
    budget: RoutingBudget | None = None
    tenant_header: str | None = None
    implicit_affinity: bool = False
    """Derive a session key for requests without ``x-model-affinity``."""


@dataclass(frozen=True, slots=True)
class _Session:
    session_id: str
    key: str
    prefix_hash: int | None
    explicit: bool


@dataclass(frozen=True, slots=True)
class _Routed:
    route: str | None
    models: tuple[str, ...]
    fallback: str | None


class PreferenceRouter:
    """The `Router` step: routing preferences, the orchestrator and session affinity."""

    def __init__(
        self,
        settings: RouterSettings,
        completer: ChatCompleter,
        keeper: SessionKeeper,
        prices: PriceBook,
        latency: LatencyBook,
        metrics: RoutingMetrics,
        tracer: Tracer | None = None,
    ) -> None:
        self.settings = settings
        self._completer = completer
        self._keeper = keeper
        self._prices = prices
        self._latency = latency
        self.metrics = metrics
        self._tracer = tracer or trace.get_tracer("plano(routing)")
        self._started: asyncio.Task[None] | None = None

    def record_latency(self, model: str, seconds: float) -> None:
        """Feed a measured upstream latency (for ``prefer: fastest``)."""
        self._latency.record(model, seconds)

    async def decide(self, request: LlmRequest) -> RoutingDecision:
        """The decision for a request; never raises for orchestrator or store failures."""
        preferences = request.inline_preferences or self.settings.preferences
        explicit = _bounded(request.headers.get(AFFINITY_HEADER), MAX_SESSION_ID_LENGTH)
        implicit = self.settings.implicit_affinity or (
            self.settings.route_on_user_only and bool(preferences)
        )
        budget = budget_for(self.settings.budget, request.headers)
        if not preferences and explicit is None and not implicit and budget is None:
            return RoutingDecision(models=(request.model,))
        if self._started is None:
            self._started = asyncio.create_task(self._prices.start())
        kind: RouteKind = "routing" if request.path.startswith("/routing") else "llm"
        with self._tracer.start_as_current_span("routing") as span:
            span.set_attribute("model.requested", request.requested_model)
            span.set_attribute("model.alias_resolved", request.model)
            decision = await self._decide(
                request, preferences, explicit, implicit, budget, kind, span
            )
            span.set_attribute("route.selected_model", decision.models[0])
            if decision.route:
                span.set_attribute("plano.route.name", decision.route)
            if decision.session_id:
                span.set_attribute("plano.session_id", decision.session_id)
            span.set_attribute("routing.pinned", decision.pinned)
            span.set_attribute("routing.switched", decision.switched)
            if decision.fallback:
                span.set_attribute("routing.fallback", decision.fallback)
        return decision

    async def _decide(
        self,
        request: LlmRequest,
        preferences: Sequence[RoutingPreference],
        explicit: str | None,
        implicit: bool,
        budget: RoutingBudget | None,
        kind: RouteKind,
        span: Span,
    ) -> RoutingDecision:
        turns = conversation(request.body, request.api)
        session = await self._session(request, turns, explicit, implicit or budget is not None)
        binding = await self._keeper.lookup(session.key) if session else None
        current = binding if self._same_lane(request, session, binding) else None
        reused = self._reusable(turns, session, current, budget)
        if reused is not None and current is not None:
            self.metrics.skip(reused)
            span.set_attribute("plano.routing.skipped", reused)
            routed = _Routed(current.route_name, (current.anchor_model,), None)
        else:
            started = time.perf_counter()
            routed = await self._route(request, turns, preferences)
            if routed.fallback and current is not None:
                routed = _Routed(current.route_name, (current.anchor_model,), routed.fallback)
            elapsed = time.perf_counter() - started
            span.set_attribute("routing.determination_ms", round(elapsed * 1000, 3))
            self.metrics.decision(kind, routed.models[0], routed.fallback, elapsed)
        if session is None:
            return RoutingDecision(routed.models, routed.route, fallback=routed.fallback)
        facts = SessionFacts(
            session.key, session.prefix_hash, request.model, _context_tokens(turns)
        )
        settled, updated = self._keeper.settle(
            facts, binding, routed.models[0], routed.route, budget
        )
        await self._keeper.save(session.key, updated)
        models = (settled.model, *(m for m in routed.models if m != settled.model))
        return RoutingDecision(
            models=models,
            route=settled.route,
            session_id=session.session_id,
            pinned=settled.pinned,
            switched=settled.switched,
            fallback=routed.fallback if settled.model == routed.models[0] else None,
        )

    def _same_lane(
        self, request: LlmRequest, session: _Session | None, binding: SessionBinding | None
    ) -> bool:
        """True when the session's binding is warm and was made for the same requested model."""
        if session is None or binding is None or binding.requested_model != request.model:
            return False
        return self._keeper.is_warm(binding, session.prefix_hash)

    def _reusable(
        self,
        turns: list[ChatTurn],
        session: _Session | None,
        current: SessionBinding | None,
        budget: RoutingBudget | None,
    ) -> str | None:
        """Why the session's current model is reused without routing (None: route)."""
        if session is None or current is None:
            return None
        if self.settings.route_on_user_only and not is_user_turn(turns):
            return "not_user_turn"
        if session.explicit and budget is None:
            return "pinned"
        return None

    async def _session(
        self, request: LlmRequest, turns: list[ChatTurn], explicit: str | None, implicit: bool
    ) -> _Session | None:
        tenant = None
        if self.settings.tenant_header:
            tenant = _bounded(request.headers.get(self.settings.tenant_header), MAX_TENANT_LENGTH)
        prefix_hash: int | None = None
        derived = None
        if implicit or explicit is not None:
            names = tool_names(request.body, request.api)
            if sum(len(t.text) for t in turns) > IMPLICIT_HASH_IN_THREAD_BYTES:
                derived = await asyncio.to_thread(implicit_affinity, turns, names, tenant)
            else:
                derived = implicit_affinity(turns, names, tenant)
            prefix_hash = derived.prefix_hash if derived else None
        session_id = (
            explicit
            if explicit is not None
            else (derived.session_key if derived and implicit else None)
        )
        if session_id is None:
            return None
        key = f"{tenant}:{session_id}" if tenant else session_id
        return _Session(session_id, key, prefix_hash, explicit is not None)

    async def _route(
        self, request: LlmRequest, turns: list[ChatTurn], preferences: Sequence[RoutingPreference]
    ) -> _Routed:
        fallback = (request.model,)
        if not preferences:
            return _Routed(None, fallback, None)
        if not any(t.text and t.role not in ("system", "developer", "tool") for t in turns):
            return _Routed(None, fallback, "no_route")
        routes = [RouteSpec(p.name, p.description) for p in preferences]
        body = orchestrator_body(
            self.settings.routing_model, routes, turns, self.settings.context_length
        )
        timeout = self.settings.timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                reply = await self._completer(body, request=request, timeout_seconds=timeout)
        except TimeoutError:
            logger.warning(
                "orchestrator timed out after %.2fs; keeping the requested model", timeout
            )
            return _Routed(None, fallback, "orchestrator_timeout")
        except StepError as exc:
            logger.warning("orchestrator failed (%d); keeping the requested model", exc.status)
            return _Routed(None, fallback, "orchestrator_error")
        except Exception:
            logger.exception("orchestrator call failed; keeping the requested model")
            return _Routed(None, fallback, "orchestrator_error")
        try:
            names = route_names(answer_content(reply))
        except MalformedAnswerError as exc:
            logger.warning("orchestrator answer malformed (%s); keeping the requested model", exc)
            return _Routed(None, fallback, "orchestrator_malformed")
        by_name = {p.name: p for p in preferences}
        chosen = first_known_route(names, by_name)
        if chosen is None:
            return _Routed(None, fallback, "no_route")
        return _Routed(chosen, await self._rank(by_name[chosen]), None)

    async def _rank(self, preference: RoutingPreference) -> tuple[str, ...]:
        models = preference.models
        if preference.prefer == "cheapest":
            prices = {m: p for m in models if (p := self._prices.blended(m)) is not None}
            return rank_by_metric(models, prices)
        if preference.prefer == "fastest":
            return rank_by_metric(models, await self._latency.latencies(models))
        return tuple(models)

    async def close(self) -> None:
        """Stop background work (price loading and refreshes, pending latency writes)."""
        if self._started is not None and not self._started.done():
            self._started.cancel()
        await self._prices.close()
        await self._latency.close()


def _bounded(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value[:limit] if value else None


def _context_tokens(turns: list[ChatTurn]) -> int:
    return sum(len(t.text.encode()) for t in turns) // 4
