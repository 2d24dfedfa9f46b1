"""The signal analyzer: every detector over a ShareGPT-shaped conversation, the quality score
and bucket, and the summary line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from brightstaff.signals.environment import analyze_exhaustion
from brightstaff.signals.execution import Row, analyze_failure
from brightstaff.signals.interaction import (
    analyze_disengagement,
    analyze_misalignment,
    analyze_satisfaction,
)
from brightstaff.signals.loops import analyze_loops
from brightstaff.signals.schemas import (
    InteractionQuality,
    SignalGroup,
    SignalReport,
    SignalType,
)
from brightstaff.signals.stagnation import analyze_stagnation
from brightstaff.signals.text import NormalizedMessage, f32

__all__ = ["AnalyzerConfig", "analyze", "assess_quality", "is_concerning", "summarize"]

_ESCALATION_OR_QUIT = (SignalType.DISENGAGEMENT_ESCALATION, SignalType.DISENGAGEMENT_QUIT)


@dataclass(frozen=True, slots=True)
class AnalyzerConfig:
    """Analyzer knobs (the original's defaults)."""

    baseline_turns: int = 5
    char_ngram_threshold: float = 0.65
    token_cosine_threshold: float = 0.60
    max_message_length: int = 2000
    max_messages: int = 100


DEFAULT_CONFIG = AnalyzerConfig()
CACHED_TEXT_LIMIT = 512
"""Messages up to this many characters are normalized once and reused across analyses (a
conversation's history comes back with every request)."""
_cached_from_text = lru_cache(maxsize=512)(NormalizedMessage.from_text)


def normalize(text: str, max_length: int) -> NormalizedMessage:
    """The normalized message, from the cache for short texts."""
    if len(text) <= CACHED_TEXT_LIMIT:
        return _cached_from_text(text, max_length)
    return NormalizedMessage.from_text(text, max_length)


def analyze(rows: Sequence[Row], config: AnalyzerConfig = DEFAULT_CONFIG) -> SignalReport:
    """The report of one conversation (its last `max_messages` rows)."""
    window = list(rows[-config.max_messages :]) if len(rows) > config.max_messages else list(rows)
    offset = len(rows) - len(window)
    normalized = [
        (offset + i, role, normalize(value, config.max_message_length))
        for i, (role, value) in enumerate(window)
        if role in ("human", "gpt") and value
    ]
    thresholds = (config.char_ngram_threshold, config.token_cosine_threshold)
    stagnation, turns = analyze_stagnation(
        [r for r, _ in window], normalized, config.baseline_turns
    )
    last = max(len(window) - 1, 0)
    for signal in stagnation.signals:
        signal.message_index = offset + min(signal.message_index, last)
    groups = {
        "interaction.misalignment": analyze_misalignment(normalized, thresholds),
        "interaction.stagnation": stagnation,
        "interaction.disengagement": analyze_disengagement(normalized, thresholds),
        "interaction.satisfaction": analyze_satisfaction(normalized, thresholds),
        "execution.failure": analyze_failure(window),
        "execution.loops": analyze_loops(window),
        "environment.exhaustion": analyze_exhaustion(window),
    }
    quality, score = assess_quality(groups, turns.user_turns)
    report = SignalReport(groups, quality, score, turns)
    report.summary = summarize(report)
    return report


def _misalignment_ratio(group: SignalGroup, user_turns: int) -> float:
    return f32(group.count / max(user_turns, 1))


def assess_quality(
    groups: dict[str, SignalGroup], user_turns: int
) -> tuple[InteractionQuality, float]:
    """The quality bucket and score (0 to 100, from 50 with bonuses and penalties)."""
    disengagement = groups["interaction.disengagement"]
    stagnation = groups["interaction.stagnation"]
    if (
        any(s.signal_type in _ESCALATION_OR_QUIT for s in disengagement.signals)
        or disengagement.severity >= 3
        or stagnation.severity >= 3
    ):
        return InteractionQuality.SEVERE, 0.0
    score = 50.0
    satisfaction = groups["interaction.satisfaction"].count
    if satisfaction:
        score += 20.0 * {1: 0.6, 2: 0.8}.get(satisfaction, 0.95)
    if disengagement.count:
        score -= disengagement.severity * 10.0
    misalignment = groups["interaction.misalignment"]
    if misalignment.severity > 0 and _misalignment_ratio(misalignment, user_turns) > f32(0.3):
        score -= 15.0
    if stagnation.count > 2:
        score -= stagnation.severity * 8.0
    score -= groups["execution.failure"].count * 8.0
    score -= groups["execution.loops"].count * 5.0
    score -= groups["environment.exhaustion"].count * 3.0
    score = f32(min(max(score, 0.0), 100.0))
    for floor, bucket in (
        (75.0, InteractionQuality.EXCELLENT),
        (60.0, InteractionQuality.GOOD),
        (40.0, InteractionQuality.NEUTRAL),
        (25.0, InteractionQuality.POOR),
    ):
        if score >= floor:
            return bucket, score
    return InteractionQuality.SEVERE, score


def _fmt(name: str, group: SignalGroup) -> str:
    if group.count == 0:
        return f"{name}: 0"
    return f"{name}: {group.count} (sev {group.severity})"


def summarize(report: SignalReport) -> str:
    """One line grouping the counts by layer, then the alerts that drove the quality."""
    g = report.groups
    turns = report.turn_metrics
    parts = [
        f"Overall Quality: {report.overall_quality.value}",
        f"Turns: {turns.total_turns} (efficiency: {turns.efficiency_score * 100.0:.1f}%)",
        "Interaction \u2014 "
        + ", ".join(
            _fmt(c, g[f"interaction.{c}"])
            for c in ("misalignment", "stagnation", "disengagement", "satisfaction")
        ),
        f"Execution \u2014 {_fmt('failure', g['execution.failure'])}, "
        f"{_fmt('loops', g['execution.loops'])}",
        f"Environment \u2014 {_fmt('exhaustion', g['environment.exhaustion'])}",
    ]
    misalignment = g["interaction.misalignment"]
    if misalignment.count:
        ratio = _misalignment_ratio(misalignment, turns.user_turns)
        if ratio > f32(0.3):
            parts.append(f"High misalignment rate: {ratio * 100.0:.1f}% of user turns")
    stagnation = g["interaction.stagnation"]
    if stagnation.count > 2:
        parts.append(f"Looping detected: {stagnation.count} repetitions")
    escalations = sum(
        1
        for s in g["interaction.disengagement"].signals
        if s.signal_type is SignalType.DISENGAGEMENT_ESCALATION
    )
    if escalations:
        parts.append(f"Escalation requested: {escalations}")
    return " | ".join(parts)


def is_concerning(report: SignalReport) -> bool:
    """True when the trace should be flagged: poor/severe quality, disengagement, looping
    stagnation, or any execution failure or loop."""
    g = report.groups
    return (
        report.overall_quality in (InteractionQuality.POOR, InteractionQuality.SEVERE)
        or g["interaction.disengagement"].count > 0
        or g["interaction.stagnation"].count > 2
        or g["execution.failure"].count > 0
        or g["execution.loops"].count > 0
    )
