"""Environment-layer detector: tool outputs showing an exhausted or failing environment."""

from __future__ import annotations

import re
from collections.abc import Sequence

from brightstaff.signals.execution import Row, snippet_around
from brightstaff.signals.patterns import regex_table
from brightstaff.signals.schemas import SignalGroup, SignalInstance, SignalType
from brightstaff.signals.text import f32

__all__ = ["analyze_exhaustion"]

_KINDS: tuple[tuple[str, SignalType, float], ...] = (
    ("rate_limit", SignalType.EXHAUSTION_RATE_LIMIT, 0.95),
    ("api_error", SignalType.EXHAUSTION_API_ERROR, 0.9),
    ("timeout", SignalType.EXHAUSTION_TIMEOUT, 0.9),
    ("network", SignalType.EXHAUSTION_NETWORK, 0.9),
    ("malformed_response", SignalType.EXHAUSTION_MALFORMED, 0.85),
    ("context_overflow", SignalType.EXHAUSTION_CONTEXT_OVERFLOW, 0.9),
)


def analyze_exhaustion(rows: Sequence[Row]) -> SignalGroup:
    """Rate limits, API errors, timeouts, network failures, malformed answers, context overflow
    (the first kind that matches each tool output; each distinct output is searched once)."""
    patterns = regex_table("environment.json")
    group = SignalGroup("exhaustion")
    seen: dict[str, tuple[str, SignalType, float, re.Match[str]] | None] = {}
    for i, (role, value) in enumerate(rows):
        if role != "observation":
            continue
        lower = value.lower()
        if lower not in seen:
            seen[lower] = _first_kind(lower, patterns)
        found = seen[lower]
        if found is not None:
            key, signal_type, confidence, match = found
            group.add(
                SignalInstance(
                    signal_type,
                    i,
                    snippet_around(value, match),
                    f32(confidence),
                    {"exhaustion_type": key, "matched": match.group(0)},
                )
            )
    return group


def _first_kind(
    lower: str, patterns: dict[str, re.Pattern[str]]
) -> tuple[str, SignalType, float, re.Match[str]] | None:
    for key, signal_type, confidence in _KINDS:
        match = patterns[key].search(lower)
        if match is not None:
            return key, signal_type, confidence, match
    return None
