"""Rate limiting inside one process (the default backend; each replica has its own budget)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from plano_common.ratelimit.decision import Decision, Outcome
from plano_common.ratelimit.gcra import gcra_take
from plano_common.ratelimit.rules import RateLimitRule, RuleSet

__all__ = ["InProcessRateLimiter"]

_SWEEP_MIN_BUCKETS = 1024


class InProcessRateLimiter:
    """GCRA buckets in a dict; full buckets are forgotten so memory tracks active selectors."""

    def __init__(
        self,
        rules: Iterable[RateLimitRule],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rules = RuleSet(rules)
        self._clock = clock
        self._tats: dict[tuple[str, str, str], float] = {}
        self._sweep_at = _SWEEP_MIN_BUCKETS

    async def acquire(self, model: str, headers: Mapping[str, str], tokens: int) -> Decision:
        """Check and consume ``tokens`` for the request's bucket."""
        return self.acquire_now(model, headers, tokens)

    def acquire_now(self, model: str, headers: Mapping[str, str], tokens: int) -> Decision:
        """Synchronous form of :meth:`acquire` (the in-process backend never waits)."""
        match = self._rules.match(model, headers)
        if match is None:
            return Decision(Outcome.UNLIMITED, tokens)
        rule = match.rule
        if tokens <= 0:
            return Decision(Outcome.ADMITTED, 0, rule, match.selector)
        now = self._clock()
        result = gcra_take(
            self._tats.get(match.bucket), now, tokens, rule.seconds_per_token, rule.tokens
        )
        if result.allowed:
            self._tats[match.bucket] = result.tat
            self._maybe_sweep(now)
            return Decision(Outcome.ADMITTED, tokens, rule, match.selector)
        outcome = Outcome.EXHAUSTED if result.retry_after is not None else Outcome.EXCEEDS_BURST
        return Decision(outcome, tokens, rule, match.selector, result.retry_after)

    def _maybe_sweep(self, now: float) -> None:
        if len(self._tats) < self._sweep_at:
            return
        self._tats = {bucket: tat for bucket, tat in self._tats.items() if tat > now}
        self._sweep_at = max(_SWEEP_MIN_BUCKETS, 2 * len(self._tats))

    @property
    def bucket_count(self) -> int:
        """Buckets currently remembered (full buckets may already be forgotten)."""
        return len(self._tats)

    async def aclose(self) -> None:
        """Nothing to release; present for the common limiter interface."""
