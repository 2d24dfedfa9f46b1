"""Stagnation detectors: dragging (too many user turns) and repetition (near-duplicates)."""

from __future__ import annotations

from collections.abc import Sequence

from brightstaff.signals.interaction import Normalized, starts_with_prefix
from brightstaff.signals.patterns import interaction_patterns
from brightstaff.signals.schemas import SignalGroup, SignalInstance, SignalType, TurnMetrics
from brightstaff.signals.text import NormalizedMessage, Trigram, aligned_similarity, f32, jaccard

__all__ = ["analyze_dragging", "analyze_repetition", "analyze_stagnation"]


def analyze_dragging(
    roles: Sequence[str], baseline_turns: int = 5, efficiency_threshold: float = 0.5
) -> tuple[SignalGroup, TurnMetrics]:
    """Turn metrics; a dragging signal when efficiency falls under the threshold."""
    group = SignalGroup("stagnation")
    user_turns = roles.count("human")
    assistant_turns = roles.count("gpt")
    total = user_turns
    if total <= baseline_turns:
        efficiency = 1.0
    else:
        efficiency = f32(1.0 / (1.0 + f32((total - baseline_turns) * 0.25)))
    dragging = efficiency < f32(efficiency_threshold)
    metrics = TurnMetrics(total, user_turns, assistant_turns, dragging, efficiency)
    if dragging:
        group.add(
            SignalInstance(
                SignalType.STAGNATION_DRAGGING,
                max(len(roles) - 1, 0),
                f"Conversation dragging: {total} turns (efficiency: {efficiency:.2f})",
                f32(1.0 - efficiency),
                {
                    "total_turns": total,
                    "efficiency_score": efficiency,
                    "baseline_turns": baseline_turns,
                },
            )
        )
    return group, metrics


_EXACT = f32(0.95)
_NEAR_DUPLICATE = f32(0.85)


_Window = list[tuple[int, NormalizedMessage]]
_Trigrams = dict[int, frozenset[Trigram]]
"""Trigram sets of the lookback window's messages, by message index, once computed (large
sets are not kept on the message, see `KEPT_TRIGRAMS`)."""


def _trigrams(kept: _Trigrams, idx: int, message: NormalizedMessage) -> frozenset[Trigram]:
    grams = kept.get(idx)
    if grams is None:
        grams = kept[idx] = message.char_ngram_set
    return grams


def _similarity(
    kept: _Trigrams, idx: int, message: NormalizedMessage, prev_idx: int, prev: NormalizedMessage
) -> float:
    """Trigram Jaccard similarity of two messages (remembered on the later one: a
    conversation's history is analyzed again with every request)."""
    found = message.similarity(prev)
    if found is None:
        found = aligned_similarity(prev, message)
        if found is None:
            found = jaccard(_trigrams(kept, idx, message), _trigrams(kept, prev_idx, prev))
        message.remember_similarity(prev, found)
    return found


def _repeat_of(
    idx: int, role: str, message: NormalizedMessage, earlier: _Window, kept: _Trigrams
) -> SignalInstance | None:
    for prev_idx, prev in earlier:
        if len(prev.tokens) < 5:
            continue
        similarity = _similarity(kept, idx, message, prev_idx, prev)
        if similarity >= _EXACT:
            kind, label = "exact", "Exact repetition"
        elif similarity >= _NEAR_DUPLICATE:
            kind, label = "near_duplicate", "Near-duplicate"
        else:
            continue
        return SignalInstance(
            SignalType.STAGNATION_REPETITION,
            idx,
            f"{label} with message {prev_idx}",
            similarity,
            {
                "repetition_type": kind,
                "compared_to": prev_idx,
                "similarity": similarity,
                "role": role,
            },
        )
    return None


def analyze_repetition(messages: Normalized, lookback: int = 2) -> SignalGroup:
    """A message repeating one of the last `lookback` messages of the same role."""
    positive = interaction_patterns().positive_prefixes
    group = SignalGroup("stagnation")
    if lookback == 0:
        return group
    history: dict[str, _Window] = {"human": [], "gpt": []}
    kept: _Trigrams = {}
    for idx, role, message in messages:
        earlier = history.get(role)
        if earlier is None:
            continue
        skip = len(message.tokens) < 5 or (
            role == "human" and starts_with_prefix(message.raw, positive)
        )
        if not skip:
            window = earlier if lookback > 0 else earlier[-lookback:]
            found = _repeat_of(idx, role, message, window, kept)
            if found is not None:
                group.add(found)
        earlier.append((idx, message))
        if 0 < lookback < len(earlier):
            kept.pop(earlier.pop(0)[0], None)
    return group


def analyze_stagnation(
    roles: Sequence[str], messages: Normalized, baseline_turns: int = 5
) -> tuple[SignalGroup, TurnMetrics]:
    """Dragging then repetition signals in one group, and the turn metrics."""
    dragging, metrics = analyze_dragging(roles, baseline_turns)
    repetition = analyze_repetition(messages)
    dragging.signals.extend(repetition.signals)
    return dragging, metrics
