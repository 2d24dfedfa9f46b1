"""Token rate limits per model and selector header, in-process or shared through Redis."""

from plano_common.ratelimit.backend_metrics import RateLimitMetrics
from plano_common.ratelimit.base import RateLimiter
from plano_common.ratelimit.decision import Decision, Outcome
from plano_common.ratelimit.gcra import GcraResult, gcra_take
from plano_common.ratelimit.memory import InProcessRateLimiter
from plano_common.ratelimit.redis_backend import RedisRateLimiter
from plano_common.ratelimit.rules import (
    SELECTOR_HEADER,
    Match,
    RateLimitRule,
    RuleSet,
    Selector,
    TimeUnit,
)

__all__ = [
    "SELECTOR_HEADER",
    "Decision",
    "GcraResult",
    "InProcessRateLimiter",
    "Match",
    "Outcome",
    "RateLimitMetrics",
    "RateLimitRule",
    "RateLimiter",
    "RedisRateLimiter",
    "RuleSet",
    "Selector",
    "TimeUnit",
    "gcra_take",
]
