"""Session affinity: which model a session keeps, and when it may switch.

A warm session (a stored binding whose prompt prefix has not changed) runs on its anchor
model. When routing proposes another model, the switch is allowed freely unless a routing
budget is set; with a budget, a switch that costs more than staying (re-reading the context
uncached on the new model instead of cached on the anchor) is allowed only while the session's
total switch spend stays within ``max_switch_spend_pct`` % of its never-switch baseline.
Store errors never fail a request: they count as a miss.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import msgspec
from redis.exceptions import RedisError

from brightstaff.routing.metrics import RoutingMetrics
from brightstaff.routing.prices import PriceBook
from brightstaff.routing.store import MAX_HISTORY, BindingStore, RouteVisit, SessionBinding
from plano_common.config.types import RoutingBudget

__all__ = ["SWITCH_SPEND_HEADER", "SessionFacts", "SessionKeeper", "Settlement", "budget_for"]

logger = logging.getLogger(__name__)

SWITCH_SPEND_HEADER: Final = "x-plano-max-switch-spend-pct"
RETRY_SECONDS: Final = 1.0
PER_MILLION: Final = 1_000_000.0


def budget_for(base: RoutingBudget | None, headers: Mapping[str, str]) -> RoutingBudget | None:
    """The request's routing budget: the config's, with the header's percentage if valid."""
    raw = headers.get(SWITCH_SPEND_HEADER)
    pct: float | None = None
    if raw is not None and len(raw) <= 16:
        try:
            pct = float(raw.strip())
        except ValueError:
            pct = None
        if pct is not None and not 0.0 <= pct <= 100.0:
            pct = None
    if pct is None:
        return base
    if base is None:
        return RoutingBudget(max_switch_spend_pct=pct)
    return msgspec.structs.replace(base, max_switch_spend_pct=pct)


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the session router knows about one request."""

    key: str
    prefix_hash: int | None
    requested_model: str
    context_tokens: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """The model a session runs this request on."""

    model: str
    route: str | None
    pinned: bool
    switched: bool


class SessionKeeper:
    """Reads and writes bindings through a store, failing open, and settles switches."""

    def __init__(
        self,
        store: BindingStore,
        ttl_seconds: int,
        prices: PriceBook,
        metrics: RoutingMetrics,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._prices = prices
        self._metrics = metrics
        self._down_until = 0.0

    async def lookup(self, key: str) -> SessionBinding | None:
        """The stored binding, or None on a miss or a store error."""
        if time.monotonic() < self._down_until:
            self._metrics.session_event("error")
            return None
        try:
            binding = await self._store.get(key)
        except (RedisError, OSError, TimeoutError, ValueError) as exc:
            self._failed("lookup", exc)
            self._metrics.session_event("error")
            return None
        self._metrics.session_event("hit" if binding else "miss")
        return binding

    async def save(self, key: str, binding: SessionBinding) -> None:
        """Store a binding; an error is logged and counted, never raised."""
        if time.monotonic() < self._down_until:
            self._metrics.session_event("store_error")
            return
        try:
            await self._store.put(key, binding, self._ttl)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed("store", exc)
            self._metrics.session_event("store_error")
            return
        self._metrics.session_event("store")

    def _failed(self, action: str, exc: Exception) -> None:
        first = time.monotonic() >= self._down_until
        self._down_until = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning("session cache %s failed; routing without affinity: %s", action, exc)

    @staticmethod
    def is_warm(binding: SessionBinding | None, prefix_hash: int | None) -> bool:
        """True when a binding exists and the prompt prefix it was stored for is unchanged."""
        if binding is None:
            return False
        return (
            binding.prefix_hash is None
            or prefix_hash is None
            or (binding.prefix_hash == prefix_hash)
        )

    def settle(
        self,
        facts: SessionFacts,
        binding: SessionBinding | None,
        candidate: str,
        route: str | None,
        budget: RoutingBudget | None,
    ) -> tuple[Settlement, SessionBinding]:
        """The model this request runs on and the binding to store after it."""
        now = time.time()
        warm = self.is_warm(binding, facts.prefix_hash)
        if binding is None or not warm:
            return self._rebind(facts, binding, candidate, route, budget, now)
        context = binding.cached_tokens or facts.context_tokens
        default = binding.default_model or binding.anchor_model
        baseline = binding.baseline_usd
        if budget is not None:
            rates = self._prices.rates(default)
            if rates is not None:
                baseline += context * rates.cached_input(budget.cache_read_discount) / PER_MILLION
        model, chosen_route, spend, switches = (
            candidate,
            route,
            binding.switch_spend_usd,
            binding.switches,
        )
        if candidate == binding.anchor_model:
            self._metrics.switches.labels("allowed", "same_anchor").inc()
        else:
            allowed, cost = self._switch_cost(binding, candidate, context, baseline, budget, now)
            if allowed:
                spend += max(cost, 0.0)
                switches += 1
            else:
                model, chosen_route = binding.anchor_model, binding.route_name
        updated = SessionBinding(
            anchor_model=model,
            default_model=default,
            requested_model=facts.requested_model,
            route_name=chosen_route,
            prefix_hash=facts.prefix_hash,
            last_used=now,
            cached_tokens=facts.context_tokens or binding.cached_tokens,
            baseline_usd=baseline,
            switch_spend_usd=spend,
            switches=switches,
            history=_visit(binding.history, model, now, facts.context_tokens),
        )
        switched = model != binding.anchor_model
        return Settlement(model, chosen_route, True, switched), updated

    def _switch_cost(
        self,
        binding: SessionBinding,
        candidate: str,
        context: int,
        baseline: float,
        budget: RoutingBudget | None,
        now: float,
    ) -> tuple[bool, float]:
        """Whether a warm session may move to ``candidate``, and what the move costs."""
        if budget is None:
            self._metrics.switches.labels("allowed", "free").inc()
            return True, 0.0
        anchor = self._prices.rates(binding.anchor_model)
        target = self._prices.rates(candidate)
        if anchor is None or target is None:
            self._metrics.switches.labels("allowed", "no_pricing").inc()
            return True, 0.0
        warm_tokens = next(
            (
                min(v.cached_tokens, context)
                for v in binding.history
                if v.model == candidate and now - v.last_used <= self._ttl
            ),
            0,
        )
        discount = budget.cache_read_discount
        cost = (
            (context - warm_tokens) * target.input
            + warm_tokens * target.cached_input(discount)
            - context * anchor.cached_input(discount)
        ) / PER_MILLION
        if cost <= 0:
            self._metrics.switches.labels("allowed", "free").inc()
            return True, 0.0
        if binding.switch_spend_usd + cost <= budget.max_switch_spend_pct / 100.0 * baseline:
            self._metrics.switches.labels("allowed", "within_cap").inc()
            return True, cost
        self._metrics.switches.labels("retained", "over_cap").inc()
        return False, cost

    @staticmethod
    def _rebind(
        facts: SessionFacts,
        binding: SessionBinding | None,
        candidate: str,
        route: str | None,
        budget: RoutingBudget | None,
        now: float,
    ) -> tuple[Settlement, SessionBinding]:
        carry = budget is not None and binding is not None and not budget.replenish_on_rebind
        fresh = SessionBinding(
            anchor_model=candidate,
            default_model=(binding.default_model if carry and binding else "") or candidate,
            requested_model=facts.requested_model,
            route_name=route,
            prefix_hash=facts.prefix_hash,
            last_used=now,
            cached_tokens=facts.context_tokens,
            baseline_usd=binding.baseline_usd if carry and binding else 0.0,
            switch_spend_usd=binding.switch_spend_usd if carry and binding else 0.0,
            history=_visit((), candidate, now, facts.context_tokens),
        )
        return Settlement(candidate, route, False, False), fresh


def _visit(
    history: tuple[RouteVisit, ...], model: str, now: float, tokens: int
) -> tuple[RouteVisit, ...]:
    kept = [v for v in history if v.model != model]
    return (RouteVisit(model, now, tokens), *kept)[:MAX_HISTORY]
