"""Rate-limit rules and how a request (model + headers) selects its bucket.

A rule limits the input tokens of one model for requests selected by a header. The request
names the selector header through ``x-arch-ratelimit-selector: <header>``; the value of that
header then picks the bucket:

- a rule with a ``selector_value`` applies only to that exact value (its own bucket);
- otherwise a rule without a value applies, and every distinct header value has its own bucket.

Either way the bucket is keyed by (model, selector header, header value): a value with a
specific rule never reaches the per-value rule, so the two kinds cannot share a bucket.

Requests for a model without rules, without the selector header, or whose selector matches no
rule are not limited.

A rule with ``enforce`` reads its header on every request for its model instead: the client's
``x-arch-ratelimit-selector`` is not consulted for that model, so a client cannot pick another
rule or none. A request without the header is charged to the bucket of the rule's
``default_value`` (not limited when the rule has none). A model's enforced rules share one
header (the config loader checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from plano_common.headers import header_value

__all__ = ["SELECTOR_HEADER", "Match", "RateLimitRule", "RuleSet", "Selector", "TimeUnit"]

logger = logging.getLogger(__name__)

SELECTOR_HEADER = "x-arch-ratelimit-selector"


class TimeUnit(StrEnum):
    """The period a rule's token budget refills over."""

    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def seconds(self) -> int:
        return _UNIT_SECONDS[self]


_UNIT_SECONDS: dict[TimeUnit, int] = {
    TimeUnit.SECOND: 1,
    TimeUnit.MINUTE: 60,
    TimeUnit.HOUR: 3600,
    TimeUnit.DAY: 86400,
}


class RateLimitRule(msgspec.Struct, frozen=True, kw_only=True):
    """At most ``tokens`` input tokens per ``unit`` for ``model`` and the selected header value.

    ``unit: day`` means a burst of ``tokens`` refilled evenly over 24 hours.
    """

    model: str
    selector_key: str
    selector_value: str | None = None
    tokens: int
    unit: TimeUnit
    enforce: bool = False
    default_value: str | None = None

    def __post_init__(self) -> None:
        if self.tokens <= 0:
            raise ValueError(f"rate limit tokens must be positive, got {self.tokens}")

    @property
    def period_seconds(self) -> int:
        return self.unit.seconds

    @property
    def seconds_per_token(self) -> float:
        """The GCRA emission interval: time for one token to refill."""
        return self.period_seconds / self.tokens

    def describe(self) -> str:
        return f"{self.tokens} tokens per {self.unit.value}"


@dataclass(frozen=True, slots=True)
class Selector:
    """The header (and its value) that selected a bucket."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}:{self.value}"


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that applies to a request, and the bucket it charges."""

    rule: RateLimitRule
    selector: Selector
    bucket: tuple[str, str, str]


class RuleSet:
    """Rules indexed by model and selector; resolves a request to its bucket."""

    def __init__(self, rules: Iterable[RateLimitRule]) -> None:
        self._rules: dict[str, dict[tuple[str, str | None], RateLimitRule]] = {}
        self._enforced: dict[str, dict[tuple[str, str | None], RateLimitRule]] = {}
        self._enforced_key: dict[str, str] = {}
        for rule in rules:
            if rule.enforce:
                key = self._enforced_key.setdefault(rule.model, rule.selector_key.lower())
                if key != rule.selector_key.lower():
                    logger.error(
                        "model %r has enforced rate limits on headers %s and %s; keeping %s",
                        rule.model,
                        key,
                        rule.selector_key,
                        key,
                    )
                    continue
            by_selector = (self._enforced if rule.enforce else self._rules).setdefault(
                rule.model, {}
            )
            selector = (rule.selector_key.lower(), rule.selector_value)
            if selector in by_selector:
                logger.error(
                    "duplicate rate limit for model %r selector %s=%s; keeping the first",
                    rule.model,
                    rule.selector_key,
                    rule.selector_value,
                )
                continue
            by_selector[selector] = rule

    def __bool__(self) -> bool:
        return bool(self._rules) or bool(self._enforced)

    def match(self, model: str, headers: Mapping[str, str]) -> Match | None:
        """The rule and bucket for this request, or None when it is not limited."""
        enforced = self._enforced.get(model)
        if enforced is not None:
            return self._match_enforced(model, enforced, headers)
        by_selector = self._rules.get(model)
        if not by_selector:
            return None
        selector_key = header_value(headers, SELECTOR_HEADER)
        if not selector_key:
            return None
        selector_key = selector_key.strip().lower()
        value = header_value(headers, selector_key)
        if value is None:
            return None
        return _select(model, by_selector, selector_key, value)

    def _match_enforced(
        self,
        model: str,
        by_selector: dict[tuple[str, str | None], RateLimitRule],
        headers: Mapping[str, str],
    ) -> Match | None:
        key = self._enforced_key[model]
        value = header_value(headers, key)
        if value is None:
            per_value = by_selector.get((key, None))
            if per_value is None or per_value.default_value is None:
                return None
            value = per_value.default_value
        return _select(model, by_selector, key, value)


def _select(
    model: str,
    by_selector: Mapping[tuple[str, str | None], RateLimitRule],
    key: str,
    value: str,
) -> Match | None:
    """The value's own rule, else the rule with a bucket per value, else None."""
    rule = by_selector.get((key, value)) or by_selector.get((key, None))
    if rule is None:
        return None
    return Match(rule, Selector(key, value), (model, key, value))
