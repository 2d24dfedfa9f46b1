"""Stagnation detectors: dragging (too many user turns) and repetition (near-duplicates)."""

from __future__ import annotations

from collections.abc import Sequence

from brightstaff.signals.interaction import Normalized, starts_with_prefix
from brightstaff.signals.patterns import interaction_patterns
from brightstaff.signals.schemas import SignalGroup, SignalInstance, SignalType, TurnMetrics
from brightstaff.signals.text import NormalizedMessage, f32

__all__ = ["analyze_dragging", "analyze_repetition", "analyze_stagnation"]


def analyze_dragging(
    roles: Sequence[str], baseline_turns: int = 5, efficiency_threshold: float = 0.5
) -> tuple[SignalGroup, TurnMetrics]:
    """Turn metrics; a dragging signal when efficiency falls under the threshold."""
    group = SignalGroup("stagnation")
    user_turns = sum(1 for r in roles if r == "human")
    assistant_turns = sum(1 for r in roles if r == "gpt")
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


def _repeat_of(
    idx: int, role: str, message: NormalizedMessage, earlier: list[tuple[int, NormalizedMessage]]
) -> SignalInstance | None:
    for prev_idx, prev in earlier:
        if len(prev.tokens) < 5:
            continue
        similarity = message.ngram_similarity(prev)
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
    history: dict[str, list[tuple[int, NormalizedMessage]]] = {"human": [], "gpt": []}
    for idx, role, message in messages:
        earlier = history.get(role)
        if earlier is None:
            continue
        skip = (role == "human" and starts_with_prefix(message.raw, positive)) or len(
            message.tokens
        ) < 5
        if not skip:
            found = _repeat_of(idx, role, message, earlier[-lookback:] if lookback else [])
            if found is not None:
                group.add(found)
        earlier.append((idx, message))
    return group


def analyze_stagnation(
    roles: Sequence[str], messages: Normalized, baseline_turns: int = 5
) -> tuple[SignalGroup, TurnMetrics]:
    """Dragging then repetition signals in one group, and the turn metrics."""
    dragging, metrics = analyze_dragging(roles, baseline_turns)
    repetition = analyze_repetition(messages)
    dragging.signals.extend(repetition.signals)
    return dragging, metrics
