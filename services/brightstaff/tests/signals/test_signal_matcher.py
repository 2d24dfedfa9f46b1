"""The indexed matcher gives the same first match per list as testing every pattern in order
(the original's linear scan), on pattern texts, their variants and unrelated text."""

from __future__ import annotations

import random

from brightstaff.signals.interaction import _LISTS, pattern_hits
from brightstaff.signals.patterns import interaction_patterns
from brightstaff.signals.text import NormalizedMessage, NormalizedPattern

THRESHOLDS = (0.65, 0.60)


def _linear(message: NormalizedMessage) -> dict[str, NormalizedPattern]:
    pats = interaction_patterns()
    found: dict[str, NormalizedPattern] = {}
    for name in _LISTS:
        for pattern in getattr(pats, name):
            if message.matches(pattern, *THRESHOLDS):
                found[name] = pattern
                break
    return found


def _texts() -> list[str]:
    pats = interaction_patterns()
    raw = [p.raw for name in _LISTS for p in getattr(pats, name)]
    words = [*sorted({w for text in raw for w in text.split()}), "order", "paris", "WHY", "???"]
    rng = random.Random(7)
    texts = list(raw)
    texts += [t.upper() + "!!" for t in raw[::7]]
    texts += [t.replace("a", "e", 1) for t in raw[::3]]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(400)]
    texts += [
        f"{rng.choice(raw)} {' '.join(rng.choice(words) for _ in range(30))}" for _ in range(100)
    ]
    return texts


def test_index_matches_the_linear_scan() -> None:
    for text in _texts():
        message = NormalizedMessage.from_text(text)
        assert pattern_hits(message, THRESHOLDS) == _linear(message), text
