"""The interface every rate-limit backend implements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from plano_common.ratelimit.decision import Decision

__all__ = ["RateLimiter"]


class RateLimiter(Protocol):
    """Checks and consumes a request's input tokens against the configured limits."""

    async def acquire(self, model: str, headers: Mapping[str, str], tokens: int) -> Decision:
        """Admit or reject a request of ``tokens`` input tokens for ``model``."""
        ...

    async def aclose(self) -> None:
        """Release connections held by the backend."""
        ...
