"""Rate limits: the original's pinned sequences, GCRA refill, selectors and decisions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plano_common.errors import RateLimited, ServiceUnavailable
from plano_common.ratelimit import (
    SELECTOR_HEADER,
    Decision,
    InProcessRateLimiter,
    Outcome,
    RateLimitRule,
    Selector,
    TimeUnit,
    gcra_take,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rule(model: str, key: str, value: str | None, tokens: int, unit: TimeUnit) -> RateLimitRule:
    return RateLimitRule(
        model=model, selector_key=key, selector_value=value, tokens=tokens, unit=unit
    )


def selected(key: str, value: str) -> dict[str, str]:
    return {SELECTOR_HEADER: key, key: value}


Check = Callable[[str, dict[str, str], int], bool]


def checker(*rules: RateLimitRule, clock: FakeClock | None = None) -> Check:
    limiter = InProcessRateLimiter(rules, clock=clock or FakeClock())
    return lambda model, headers, tokens: limiter.acquire_now(model, headers, tokens).allowed


# The original's pinned sequences.


def test_non_existent_provider_is_ok() -> None:
    check = checker(rule("provider", "only-key", None, 100, TimeUnit.MINUTE))
    assert check("non-existent-provider", selected("key", "value"), 5000)


def test_non_existent_key_is_ok() -> None:
    check = checker(rule("provider", "only-key", None, 100, TimeUnit.MINUTE))
    assert check("provider", selected("key", "value"), 5000)


def test_specific_limit_does_not_catch_non_specific_value() -> None:
    check = checker(rule("provider", "key", "value", 200, TimeUnit.SECOND))
    assert check("provider", selected("key", "not-the-correct-value"), 5000)


def test_specific_limit_is_hit() -> None:
    check = checker(rule("provider", "key", "value", 200, TimeUnit.HOUR))
    assert not check("provider", selected("key", "value"), 5000)


def test_non_specific_key_has_different_limits_for_different_values() -> None:
    check = checker(rule("provider", "only-key", None, 100, TimeUnit.HOUR))
    assert check("provider", selected("only-key", "value1"), 50)
    assert check("provider", selected("only-key", "value2"), 60)
    assert not check("provider", selected("only-key", "value1"), 70)


def test_different_provider_can_have_different_limits_with_the_same_keys() -> None:
    check = checker(
        rule("first_provider", "key", "value", 100, TimeUnit.HOUR),
        rule("second_provider", "key", "value", 200, TimeUnit.HOUR),
    )
    assert check("first_provider", selected("key", "value"), 100)
    assert check("second_provider", selected("key", "value"), 200)
    assert not check("first_provider", selected("key", "value"), 1)
    assert not check("second_provider", selected("key", "value"), 1)


def test_empty_rules_allow_everything() -> None:
    check = checker()
    assert check("provider", selected("key", "value"), 10**9)


# Selection.


def test_no_selector_header_is_not_limited() -> None:
    check = checker(rule("m", "x-user", None, 10, TimeUnit.HOUR))
    assert check("m", {"x-user": "alice"}, 1000)


def test_selector_names_missing_header_is_not_limited() -> None:
    check = checker(rule("m", "x-user", None, 10, TimeUnit.HOUR))
    assert check("m", {SELECTOR_HEADER: "x-user"}, 1000)


def test_header_names_are_case_insensitive() -> None:
    check = checker(rule("m", "X-User", None, 10, TimeUnit.HOUR))
    assert check("m", {"X-Arch-Ratelimit-Selector": "x-USER", "X-User": "alice"}, 10)
    assert not check("m", {SELECTOR_HEADER: "x-user", "x-user": "alice"}, 1)


def test_specific_rule_is_preferred_over_per_value_rule() -> None:
    check = checker(
        rule("m", "x-user", "vip", 1000, TimeUnit.HOUR),
        rule("m", "x-user", None, 10, TimeUnit.HOUR),
    )
    assert check("m", selected("x-user", "vip"), 500)
    assert check("m", selected("x-user", "vip"), 500)
    assert not check("m", selected("x-user", "vip"), 1)
    assert check("m", selected("x-user", "bob"), 10)
    assert not check("m", selected("x-user", "bob"), 1)


def test_specific_rules_for_two_values_have_separate_budgets() -> None:
    check = checker(
        rule("m", "x-user", "alice", 100, TimeUnit.MINUTE),
        rule("m", "x-user", "bob", 100, TimeUnit.MINUTE),
    )
    assert check("m", selected("x-user", "alice"), 100)
    assert check("m", selected("x-user", "bob"), 100)
    assert not check("m", selected("x-user", "alice"), 1)


def test_duplicate_rule_keeps_the_first() -> None:
    check = checker(
        rule("m", "k", "v", 10, TimeUnit.HOUR),
        rule("m", "k", "v", 1000, TimeUnit.HOUR),
    )
    assert not check("m", selected("k", "v"), 11)


# Amounts and refill (GCRA).


def test_request_larger_than_burst_is_rejected_without_retry() -> None:
    limiter = InProcessRateLimiter([rule("m", "k", None, 100, TimeUnit.MINUTE)], clock=FakeClock())
    decision = limiter.acquire_now("m", selected("k", "v"), 101)
    assert decision.outcome is Outcome.EXCEEDS_BURST
    assert decision.retry_after_seconds is None
    assert limiter.acquire_now("m", selected("k", "v"), 100).allowed


def test_zero_tokens_are_admitted_and_consume_nothing() -> None:
    limiter = InProcessRateLimiter([rule("m", "k", None, 5, TimeUnit.HOUR)], clock=FakeClock())
    assert limiter.acquire_now("m", selected("k", "v"), 5).allowed
    zero = limiter.acquire_now("m", selected("k", "v"), 0)
    assert zero.allowed and zero.outcome is Outcome.ADMITTED
    assert not limiter.acquire_now("m", selected("k", "v"), 1).allowed


@pytest.mark.parametrize(
    ("unit", "seconds"),
    [
        (TimeUnit.SECOND, 1),
        (TimeUnit.MINUTE, 60),
        (TimeUnit.HOUR, 3600),
        (TimeUnit.DAY, 86400),
    ],
)
def test_units_refill_evenly_over_their_period(unit: TimeUnit, seconds: int) -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter([rule("m", "k", None, 120, unit)], clock=clock)
    headers = selected("k", "v")
    assert limiter.acquire_now("m", headers, 120).allowed
    rejected = limiter.acquire_now("m", headers, 30)
    assert rejected.outcome is Outcome.EXHAUSTED
    assert rejected.retry_after_seconds == pytest.approx(seconds / 4)
    clock.now += seconds / 4 * 0.99
    assert not limiter.acquire_now("m", headers, 30).allowed
    clock.now += seconds / 4 * 0.02
    assert limiter.acquire_now("m", headers, 30).allowed
    clock.now += seconds * 10
    assert limiter.acquire_now("m", headers, 120).allowed


def test_rejection_consumes_nothing() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter([rule("m", "k", None, 10, TimeUnit.SECOND)], clock=clock)
    headers = selected("k", "v")
    assert limiter.acquire_now("m", headers, 8).allowed
    for _ in range(5):
        assert not limiter.acquire_now("m", headers, 3).allowed
    assert limiter.acquire_now("m", headers, 2).allowed


def test_full_buckets_are_forgotten() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter([rule("m", "k", None, 10, TimeUnit.SECOND)], clock=clock)
    for i in range(3000):
        limiter.acquire_now("m", selected("k", f"user-{i}"), 1)
        clock.now += 0.01
    assert limiter.bucket_count < 2100


async def test_async_interface() -> None:
    limiter = InProcessRateLimiter([rule("m", "k", None, 10, TimeUnit.HOUR)])
    assert (await limiter.acquire("m", selected("k", "v"), 10)).allowed
    assert not (await limiter.acquire("m", selected("k", "v"), 10)).allowed
    await limiter.aclose()


def test_gcra_tolerates_float_rounding() -> None:
    interval = 60 / 7
    result = gcra_take(None, 5.0, 7, interval, 7)
    assert result.allowed


# Decisions and errors.


def test_decision_message_names_model_selector_and_tokens() -> None:
    limiter = InProcessRateLimiter(
        [rule("gpt-4o", "x-user", None, 100, TimeUnit.MINUTE)], clock=FakeClock()
    )
    headers = selected("x-user", "alice")
    limiter.acquire_now("gpt-4o", headers, 90)
    decision = limiter.acquire_now("gpt-4o", headers, 20)
    assert not decision.allowed
    assert decision.limit is not None and decision.limit.tokens == 100
    assert decision.selector == Selector("x-user", "alice")
    message = decision.message()
    assert "model=gpt-4o" in message
    assert "selector=x-user:alice" in message
    assert "tokens_used=20" in message
    assert "100 tokens per minute" in message
    assert decision.retry_after_header == "6"
    error = decision.to_error()
    assert isinstance(error, RateLimited)
    assert error.status == 429
    assert error.headers == {"retry-after": "6"}


def test_failed_closed_decision_is_a_503() -> None:
    limit = rule("m", "k", None, 1, TimeUnit.SECOND)
    decision = Decision(Outcome.BACKEND_FAILED_CLOSED, 3, limit, Selector("k", "v"), 1.0)
    assert not decision.allowed
    assert isinstance(decision.to_error(), ServiceUnavailable)
    assert "backend unavailable" in decision.message()
    assert Decision(Outcome.BACKEND_FAILED_OPEN, 3, limit, Selector("k", "v")).allowed


def test_rule_requires_positive_tokens() -> None:
    with pytest.raises(ValueError, match="positive"):
        rule("m", "k", None, 0, TimeUnit.SECOND)
