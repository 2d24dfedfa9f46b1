"""Ordering a route's candidate models by its selection policy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["rank_by_metric"]


def rank_by_metric(models: Sequence[str], metric: Mapping[str, float]) -> tuple[str, ...]:
    """Models with a value, lowest first (ties keep config order), then the others in order."""
    known = [m for m in models if math.isfinite(metric.get(m, math.nan))]
    known.sort(key=lambda m: metric[m])
    return (*known, *(m for m in models if m not in known))
