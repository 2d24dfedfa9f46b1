"""Token rate limits of the gateway: count a request's input tokens and ask the limiter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from hermesllm.apis import ClientApi
from hermesllm.introspect import message_text
from llm_gateway.settings import GatewaySettings
from plano_common.config.types import RateLimit
from plano_common.ratelimit import (
    InProcessRateLimiter,
    RateLimiter,
    RateLimitMetrics,
    RateLimitRule,
    RedisRateLimiter,
    TimeUnit,
)
from plano_common.token_counter import AsyncTokenCounter


def rules_from_config(limits: Iterable[RateLimit]) -> list[RateLimitRule]:
    """The limiter rules of the config's `ratelimits` section."""
    return [
        RateLimitRule(
            model=limit.model,
            selector_key=limit.selector_key,
            selector_value=limit.selector_value,
            tokens=limit.tokens,
            unit=TimeUnit(limit.unit),
            enforce=limit.enforce,
            default_value=limit.default_value,
        )
        for limit in limits
    ]


async def input_tokens(
    counter: AsyncTokenCounter, model: str, body: dict[str, Any], client: ClientApi
) -> int:
    """Input tokens of a decoded client request (all its message text, tokenized for `model`
    off the event loop, estimated when it is very long)."""
    return await counter.count(model, message_text(body, client))


class TokenLimits:
    """The configured limits and the backend that enforces them."""

    def __init__(
        self,
        rules: list[RateLimitRule],
        settings: GatewaySettings,
        registry: CollectorRegistry,
    ) -> None:
        self.models = frozenset(rule.model for rule in rules)
        self.limiter: RateLimiter | None = None
        if not rules:
            return
        if settings.ratelimit_backend == "redis":
            self.limiter = RedisRateLimiter(
                settings.ratelimit_redis_url,
                rules,
                fail_open=settings.ratelimit_fail_open,
                metrics=RateLimitMetrics(registry),
            )
        else:
            self.limiter = InProcessRateLimiter(rules)

    def applies_to(self, model: str) -> bool:
        """True when some rule limits `model` (only then are input tokens counted up front)."""
        return model in self.models

    async def check(self, model: str, headers: Mapping[str, str], tokens: int) -> None:
        """Consume `tokens` or raise the limiter's error (429 with Retry-After, or 503)."""
        if self.limiter is None:
            return
        decision = await self.limiter.acquire(model, headers, tokens)
        if not decision.allowed:
            raise decision.to_error()

    async def aclose(self) -> None:
        """Release the backend's connections."""
        if self.limiter is not None:
            await self.limiter.aclose()
