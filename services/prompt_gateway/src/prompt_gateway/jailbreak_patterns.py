"""The built-in jailbreak detector: a short list of well-known prompt-injection phrasings.

It catches the classic, literal attempts: "ignore/disregard/forget (all) previous
instructions", "you are now DAN" / "do anything now", "developer mode", requests to reveal the
system prompt, "pretend/act as ... without restrictions", and asks to bypass safety filters.
Text is normalized first (Unicode NFKC, lower case, zero-width characters removed, whitespace
collapsed), so spacing and full-width letters do not hide a phrase.

It does not understand meaning: paraphrases, other languages, encodings (base64, leetspeak),
role-play set up over several turns, or instructions hidden in documents pass. Configure a
guard model (`PLANO_GUARD_URL`) for real coverage.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["PATTERNS", "builtin_verdict", "normalize"]

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACE = re.compile(r"\s+")

PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(ignore|disregard|forget|override|bypass)\b( \w+){0,3} "
        r"(previous|prior|above|earlier|preceding|all|your|the|any)( \w+){0,2} "
        r"(instructions?|prompts?|rules|directives|guidelines|commands)\b",
        r"\byou are (now )?dan\b",
        r"\bdo anything now\b",
        r"\b(developer|god|jailbreak|unrestricted|dan) mode\b",
        r"\bjailbr(eak|oken)\b",
        r"\b(reveal|print|show|repeat|leak|output)( \w+){0,3} "
        r"(system prompt|hidden (instructions|prompt)|initial (instructions|prompt))\b",
        r"\b(pretend|act|behave|roleplay)( \w+){0,6} (without|with no|free of|no) "
        r"(any )?(restrictions|limits|limitations|filters|rules|guidelines|censorship)\b",
        r"\b(bypass|disable|turn off|circumvent|evade)( \w+){0,2} "
        r"(safety|content|ethical|moderation)( \w+){0,1} "
        r"(filters?|guidelines|restrictions|policies|rules)\b",
    )
)


def normalize(text: str) -> str:
    """NFKC, lower case, zero-width characters removed, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).lower()
    return _SPACE.sub(" ", folded)


def builtin_verdict(text: str) -> bool:
    """True when the text contains one of the known phrasings."""
    normalized = normalize(text)
    return any(pattern.search(normalized) for pattern in PATTERNS)
