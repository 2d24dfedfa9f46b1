"""Interaction-layer detectors over the user's messages: misalignment, disengagement and
satisfaction (stagnation lives in `stagnation`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from brightstaff.signals.matcher import PatternIndex
from brightstaff.signals.patterns import InteractionPatterns, interaction_patterns
from brightstaff.signals.schemas import SignalGroup, SignalInstance, SignalType
from brightstaff.signals.text import NormalizedMessage, NormalizedPattern, f32

__all__ = [
    "Normalized",
    "analyze_disengagement",
    "analyze_misalignment",
    "analyze_satisfaction",
    "is_similar_rephrase",
    "starts_with_prefix",
]

Normalized = Sequence[tuple[int, str, NormalizedMessage]]
"""(absolute message index, ``human``/``gpt``, normalized text) of the non-empty messages."""

_QUESTIONS = re.compile(r"\?{2,}")
_EXCLAMATIONS = re.compile(r"!{2,}")
_MIXED = re.compile(r"[?!]{3,}")


def starts_with_prefix(text: str, prefixes: Sequence[str]) -> bool:
    """True when the lowercased, left-trimmed text starts with one of `prefixes`."""
    return text.lower().lstrip().startswith(tuple(prefixes))


_LISTS = (
    "correction",
    "rephrase",
    "clarification",
    "escalation",
    "quit",
    "profanity",
    "negative_stance",
    "gratitude",
    "confirmation",
    "success",
)
_INDEXES: dict[tuple[float, float], PatternIndex] = {}


def pattern_hits(
    message: NormalizedMessage, thresholds: tuple[float, float]
) -> dict[str, NormalizedPattern]:
    """The first pattern each interaction list matches in `message` (kept on the message)."""
    kept = message.hits
    if kept is None:
        kept = message.hits = {}
    cached: dict[str, NormalizedPattern] | None = kept.get(thresholds)
    if cached is not None:
        return cached
    index = _INDEXES.get(thresholds)
    if index is None:
        pats = interaction_patterns()
        lists = {name: getattr(pats, name) for name in _LISTS}
        index = _INDEXES[thresholds] = PatternIndex(lists, *thresholds)
    found = kept[thresholds] = index.first_matches(message)
    return found


def _content_tokens(message: NormalizedMessage, stopwords: frozenset[str]) -> frozenset[str]:
    content = message.content_tokens
    if content is None:
        content = message.content_tokens = message.token_set - stopwords
    return content


def is_similar_rephrase(
    msg1: NormalizedMessage,
    msg2: NormalizedMessage,
    overlap_threshold: float = 0.75,
    min_meaningful_tokens: int = 4,
    max_new_content_ratio: float = 0.5,
) -> bool:
    """True when `msg1` restates `msg2`: mostly the same content words, little new content."""
    if len(msg1.tokens) < 3 or len(msg2.tokens) < 3:
        return False
    pats = interaction_patterns()
    if starts_with_prefix(msg1.raw.strip(), pats.confirmation_prefixes):
        return False
    tokens1 = _content_tokens(msg1, pats.stopwords)
    tokens2 = _content_tokens(msg2, pats.stopwords)
    if len(tokens1) < min_meaningful_tokens or len(tokens2) < min_meaningful_tokens:
        return False
    new_ratio = f32(len(tokens1 - tokens2) / len(tokens1))
    if new_ratio > f32(max_new_content_ratio):
        return False
    overlap = f32(len(tokens1 & tokens2) / min(len(tokens1), len(tokens2)))
    return overlap >= f32(overlap_threshold)


def analyze_misalignment(messages: Normalized, thresholds: tuple[float, float]) -> SignalGroup:
    """Corrections, rephrase markers, clarification requests and semantic rephrases."""
    group = SignalGroup("misalignment")
    previous: tuple[int, NormalizedMessage] | None = None
    kinds = (
        (SignalType.MISALIGNMENT_CORRECTION, "correction"),
        (SignalType.MISALIGNMENT_REPHRASE, "rephrase"),
        (SignalType.MISALIGNMENT_CLARIFICATION, "clarification"),
    )
    for idx, role, message in messages:
        if role != "human":
            continue
        found = False
        hits = pattern_hits(message, thresholds)
        for signal_type, kind in kinds:
            pattern = hits.get(kind)
            if pattern is not None:
                group.add(
                    SignalInstance(signal_type, idx, pattern.raw, 1.0, {"pattern_type": kind})
                )
                found = True
                break
        if not found and previous is not None:
            prev_idx, prev_msg = previous
            if idx - prev_idx <= 3 and is_similar_rephrase(message, prev_msg):
                group.add(
                    SignalInstance(
                        SignalType.MISALIGNMENT_REPHRASE,
                        idx,
                        "[similar rephrase detected]",
                        f32(0.8),
                        {"pattern_type": "semantic_rephrase", "compared_to": prev_idx},
                    )
                )
        previous = (idx, message)
    return group


_SHOUTING = f32(0.8)
_ASCII_UPPER = bytes(range(65, 91))
_ASCII_LETTERS = _ASCII_UPPER + bytes(range(97, 123))


def _shouting(idx: int, text: str) -> SignalInstance | None:
    if text.isascii():
        data = text.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        upper = len(data) - len(data.translate(None, _ASCII_UPPER))
    else:
        chars = [c for c in text if c.isalpha()]
        letters, upper = len(chars), sum(map(str.isupper, chars))
    if letters < 10:
        return None
    ratio = f32(upper / letters)
    if ratio < _SHOUTING:
        return None
    return SignalInstance(
        SignalType.DISENGAGEMENT_NEGATIVE_STANCE,
        idx,
        text[:50],
        1.0,
        {"indicator_type": "all_caps", "upper_ratio": ratio},
    )


def _punctuation(idx: int, text: str, pats: InteractionPatterns) -> SignalInstance | None:
    # Every run the three expressions count contains one of these pairs.
    if not ("??" in text or "!!" in text or "?!" in text or "!?" in text):
        return None
    if starts_with_prefix(text, pats.positive_prefixes):
        return None
    questions = len(_QUESTIONS.findall(text))
    exclamations = len(_EXCLAMATIONS.findall(text))
    mixed = len(_MIXED.findall(text))
    if not (questions or exclamations or mixed):
        return None
    return SignalInstance(
        SignalType.DISENGAGEMENT_NEGATIVE_STANCE,
        idx,
        text[:50],
        1.0,
        {
            "indicator_type": "excessive_punctuation",
            "consecutive_questions": questions,
            "consecutive_exclamations": exclamations,
            "mixed_punctuation": mixed,
        },
    )


def analyze_disengagement(messages: Normalized, thresholds: tuple[float, float]) -> SignalGroup:
    """Shouting, excessive punctuation, escalation and quit requests, profanity, complaints."""
    pats = interaction_patterns()
    group = SignalGroup("disengagement")
    for idx, role, message in messages:
        if role != "human":
            continue
        for found in (_shouting(idx, message.raw), _punctuation(idx, message.raw, pats)):
            if found is not None:
                group.add(found)
        hits = pattern_hits(message, thresholds)
        escalation = hits.get("escalation")
        if escalation is not None:
            group.add(
                SignalInstance(
                    SignalType.DISENGAGEMENT_ESCALATION,
                    idx,
                    escalation.raw,
                    1.0,
                    {"pattern_type": "escalation"},
                )
            )
        quit_pattern = hits.get("quit")
        if quit_pattern is not None:
            group.add(
                SignalInstance(
                    SignalType.DISENGAGEMENT_QUIT,
                    idx,
                    quit_pattern.raw,
                    1.0,
                    {"pattern_type": "quit"},
                )
            )
        stance = hits.get("profanity")
        kind = "profanity"
        if stance is None and escalation is None:
            stance = hits.get("negative_stance")
            kind = "complaint"
        if stance is not None:
            group.add(
                SignalInstance(
                    SignalType.DISENGAGEMENT_NEGATIVE_STANCE,
                    idx,
                    stance.raw,
                    1.0,
                    {"indicator_type": kind, "pattern": stance.raw},
                )
            )
    return group


def analyze_satisfaction(messages: Normalized, thresholds: tuple[float, float]) -> SignalGroup:
    """Gratitude, confirmation and success (at most one per user message)."""
    group = SignalGroup("satisfaction")
    kinds = (
        (SignalType.SATISFACTION_GRATITUDE, "gratitude"),
        (SignalType.SATISFACTION_CONFIRMATION, "confirmation"),
        (SignalType.SATISFACTION_SUCCESS, "success"),
    )
    for idx, role, message in messages:
        if role != "human":
            continue
        hits = pattern_hits(message, thresholds)
        for signal_type, kind in kinds:
            pattern = hits.get(kind)
            if pattern is not None:
                group.add(
                    SignalInstance(signal_type, idx, pattern.raw, 1.0, {"pattern_type": kind})
                )
                break
    return group
