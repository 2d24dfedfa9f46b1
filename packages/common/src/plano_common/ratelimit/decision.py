"""The outcome of a rate-limit check."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from plano_common.errors import (
    GatewayError,
    RateLimited,
    ServiceUnavailable,
    retry_after_value,
)
from plano_common.ratelimit.rules import RateLimitRule, Selector

__all__ = ["Decision", "Outcome"]


class Outcome(StrEnum):
    """Why a request was admitted or rejected."""

    UNLIMITED = "unlimited"
    ADMITTED = "admitted"
    EXHAUSTED = "exhausted"
    EXCEEDS_BURST = "exceeds_burst"
    BACKEND_FAILED_OPEN = "backend_failed_open"
    BACKEND_FAILED_CLOSED = "backend_failed_closed"


_ALLOWED = frozenset({Outcome.UNLIMITED, Outcome.ADMITTED, Outcome.BACKEND_FAILED_OPEN})


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may proceed, and which limit and selector were applied."""

    outcome: Outcome
    tokens: int = 0
    limit: RateLimitRule | None = None
    selector: Selector | None = None
    retry_after_seconds: float | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome in _ALLOWED

    @property
    def retry_after_header(self) -> str | None:
        """The Retry-After header value (whole seconds, at least 1), when a retry can succeed."""
        if self.retry_after_seconds is None:
            return None
        return retry_after_value(self.retry_after_seconds)

    def message(self) -> str:
        """A client-facing explanation naming model, selector and tokens."""
        if self.limit is None or self.selector is None:
            return f"rate limit decision: {self.outcome.value}"
        where = f"model={self.limit.model}, selector={self.selector}, tokens_used={self.tokens}"
        if self.outcome is Outcome.EXCEEDS_BURST:
            return (
                f"request of {self.tokens} tokens exceeds the rate limit of "
                f"{self.limit.describe()} ({where})"
            )
        if self.outcome is Outcome.BACKEND_FAILED_CLOSED:
            return f"rate limit backend unavailable, request rejected ({where})"
        return f"exceeded rate limit of {self.limit.describe()} ({where})"

    def to_error(self) -> GatewayError:
        """The error to answer a rejected request with (503 when the backend failed closed)."""
        if self.outcome is Outcome.BACKEND_FAILED_CLOSED:
            return ServiceUnavailable(self.message())
        return RateLimited(self.message(), retry_after=self.retry_after_seconds)
