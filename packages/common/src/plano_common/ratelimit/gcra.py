"""The generic cell rate algorithm (GCRA), a token bucket stored as one timestamp.

A bucket is its theoretical arrival time (TAT): the instant at which it would be full again.
Taking ``n`` tokens moves the TAT ``n * interval`` later; the request is admitted when the new
TAT is at most one period (the burst) ahead of now.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GcraResult", "gcra_take"]

_ROUNDING_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class GcraResult:
    allowed: bool
    tat: float
    retry_after: float | None


def gcra_take(
    tat: float | None, now: float, tokens: int, interval: float, burst: int
) -> GcraResult:
    """Try to take ``tokens`` from a bucket of ``burst`` tokens refilling one per ``interval``.

    ``tat`` is the stored arrival time (None for an unused bucket). On rejection the TAT is
    unchanged and ``retry_after`` says when the same request would fit (None if it never can).
    """
    current = now if tat is None or tat < now else tat
    if tokens > burst:
        return GcraResult(False, current, None)
    new_tat = current + tokens * interval
    period = burst * interval
    excess = new_tat - now - period
    if excess > period * _ROUNDING_TOLERANCE:
        return GcraResult(False, current, excess)
    return GcraResult(True, new_tat, None)
