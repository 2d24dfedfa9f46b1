"""The phrase lists and regular expressions of the detectors, loaded once from package data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from brightstaff.signals.text import NormalizedPattern, normalize_patterns

__all__ = ["InteractionPatterns", "interaction_patterns", "regex_table"]


def _load(name: str) -> dict[str, Any]:
    text = resources.files("brightstaff.signals").joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class InteractionPatterns:
    """Normalized phrase patterns of the interaction layer, and its word lists."""

    positive_prefixes: tuple[str, ...]
    confirmation_prefixes: tuple[str, ...]
    stopwords: frozenset[str]
    correction: tuple[NormalizedPattern, ...]
    rephrase: tuple[NormalizedPattern, ...]
    clarification: tuple[NormalizedPattern, ...]
    escalation: tuple[NormalizedPattern, ...]
    quit: tuple[NormalizedPattern, ...]
    negative_stance: tuple[NormalizedPattern, ...]
    profanity: tuple[NormalizedPattern, ...]
    gratitude: tuple[NormalizedPattern, ...]
    confirmation: tuple[NormalizedPattern, ...]
    success: tuple[NormalizedPattern, ...]


@cache
def interaction_patterns() -> InteractionPatterns:
    """The interaction-layer patterns (loaded and normalized on first use)."""
    data = _load("interaction.json")
    lists = {k: normalize_patterns(v) for k, v in data.items() if not k.startswith("_")}
    return InteractionPatterns(
        positive_prefixes=tuple(data["positive_prefixes"]),
        confirmation_prefixes=tuple(data["confirmation_prefixes"]),
        stopwords=frozenset(data["stopwords"]),
        correction=lists["correction"],
        rephrase=lists["rephrase"],
        clarification=lists["clarification"],
        escalation=lists["escalation"],
        quit=lists["quit"],
        negative_stance=lists["negative_stance"],
        profanity=lists["profanity"],
        gratitude=lists["gratitude"],
        confirmation=lists["confirmation"],
        success=lists["success"],
    )


@cache
def regex_table(name: str) -> dict[str, re.Pattern[str]]:
    """One case-insensitive alternation per key of data file `name` (in file order)."""
    data = _load(name)
    return {
        key: re.compile("|".join(f"({p})" for p in patterns), re.IGNORECASE)
        for key, patterns in data.items()
        if not key.startswith("_")
    }
