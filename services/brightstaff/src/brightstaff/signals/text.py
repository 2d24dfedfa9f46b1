"""Text normalization and fuzzy phrase matching shared by the interaction detectors.

A message is lowercased, typographic quotes and dashes become ASCII, whitespace collapses and
tokens lose their edge punctuation. A pattern matches a message by exact token phrase,
character-trigram Jaccard similarity or token-frequency cosine similarity. Similarities are
compared in single precision, as the original implementation does.
"""

from __future__ import annotations

import math
import struct
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

__all__ = [
    "NormalizedMessage",
    "NormalizedPattern",
    "Trigram",
    "char_ngrams",
    "f32",
    "jaccard",
    "normalize_patterns",
]

PUNCT_TRIM = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_ASCII = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_F32 = struct.Struct("f")


def f32(value: float) -> float:
    """`value` rounded to single precision."""
    return float(_F32.unpack(_F32.pack(value))[0])


def _ascii_punctuation(text: str) -> str:
    return text if text.isascii() else text.translate(_ASCII)


def _tokens(text: str) -> list[str]:
    return [t for w in text.split() if (t := w.strip(PUNCT_TRIM))]


Trigram = int | str
"""A character trigram: an all-ASCII one as the integer of its bytes (native order), any other
as its text (the two never compare equal)."""


def char_ngrams(text: str) -> frozenset[Trigram]:
    """The set of character trigrams of `text` (empty when shorter)."""
    count = len(text) - 2
    if count <= 0:
        return frozenset()
    if text.isascii():
        data = text.encode("ascii")
        lanes = bytearray(4 * count)
        lanes[0::4] = data[:count]
        lanes[1::4] = data[1 : count + 1]
        lanes[2::4] = data[2:]
        return frozenset(memoryview(lanes).cast("I").tolist())
    return frozenset(map(_trigram, map("".join, zip(text, text[1:], text[2:], strict=False))))


def _trigram(gram: str) -> Trigram:
    return int.from_bytes(gram.encode("ascii"), sys.byteorder) if gram.isascii() else gram


def jaccard(a: frozenset[Trigram], b: frozenset[Trigram]) -> float:
    """Jaccard similarity (1.0 for two empty sets, 0.0 when one is empty)."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return f32(inter / (len(a) + len(b) - inter))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    dot = sum(a.get(token, 0) * freq for token, freq in b.items())
    n1 = math.sqrt(sum(f * f for f in a.values()))
    n2 = math.sqrt(sum(f * f for f in b.values()))
    if n1 == 0.0 or n2 == 0.0:
        return 0.0
    return f32(dot / (n1 * n2))


def _strip_non_word(text: str) -> str:
    kept = "".join(c for c in text if c.isalnum() or c == "_" or c.isspace())
    return " ".join(kept.split())


@dataclass(frozen=True, slots=True)
class NormalizedPattern:
    """A phrase pattern prepared for matching."""

    raw: str
    tokens: tuple[str, ...]
    char_ngram_set: frozenset[Trigram]
    token_frequency: Counter[str]

    @classmethod
    def from_text(cls, pattern: str) -> NormalizedPattern:
        """Normalize one pattern."""
        normalized = " ".join(_ascii_punctuation(pattern.lower()).split())
        for_ngrams = _strip_non_word(normalized)
        return cls(
            raw=pattern,
            tokens=tuple(_tokens(normalized)),
            char_ngram_set=char_ngrams(for_ngrams),
            token_frequency=Counter(for_ngrams.split()),
        )


def normalize_patterns(patterns: list[str]) -> tuple[NormalizedPattern, ...]:
    """Normalize a list of patterns."""
    return tuple(NormalizedPattern.from_text(p) for p in patterns)


_T = TypeVar("_T")


class _Lazy(Generic[_T]):
    """An attribute computed on first read and kept in the instance dict (like
    `functools.cached_property`, without the lock it takes on Python 3.11)."""

    __slots__ = ("compute", "name")

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Lazy[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any]) -> _T: ...
    def __get__(self, instance: object | None, owner: type[Any]) -> _Lazy[_T] | _T:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


class NormalizedMessage:
    """One message prepared for matching (long texts keep their head and tail).

    The trigram set, token positions and frequencies are computed on first use: most
    messages need only some of them."""

    __slots__ = ("__dict__", "hits", "raw", "token_set", "tokens")

    def __init__(self, raw: str, tokens: tuple[str, ...]) -> None:
        self.raw = raw
        self.tokens = tokens
        self.token_set = frozenset(tokens)
        self.hits: dict[tuple[float, float], Any] = {}
        """Pattern matches found for this message, by thresholds (see `interaction`)."""

    @classmethod
    def from_text(cls, text: str, max_length: int = 2000) -> NormalizedMessage:
        """Normalize one message of at most `max_length` characters (head 1/5 + tail)."""
        if len(text) > max_length:
            head_len = max_length // 5
            tail_len = max(max_length - (head_len + 1), 0)
            text = f"{text[:head_len]} {text[len(text) - tail_len :] if tail_len else ''}"
        normalized = _ascii_punctuation(text).lower()
        return cls(text, tuple(_tokens(normalized)))

    @_Lazy
    def char_ngram_set(self) -> frozenset[Trigram]:
        """Character trigrams of the tokens joined by spaces."""
        return char_ngrams(" ".join(self.tokens))

    @_Lazy
    def token_frequency(self) -> Counter[str]:
        """How often each token occurs."""
        return Counter(self.tokens)

    @_Lazy
    def padded(self) -> str:
        """The tokens joined by single spaces, with a space at both ends."""
        return f" {' '.join(self.tokens)} "

    @_Lazy
    def bigrams(self) -> frozenset[str]:
        """Each pair of consecutive tokens, joined by a space."""
        return frozenset(map(" ".join, zip(self.tokens, self.tokens[1:], strict=False)))

    @_Lazy
    def square_sums(self) -> tuple[int, ...]:
        """Running sums of the squared token frequencies, largest first."""
        if len(self.token_set) == len(self.tokens):
            return tuple(range(1, len(self.tokens) + 1))
        total, sums = 0, []
        for freq in sorted(self.token_frequency.values(), reverse=True):
            total += freq * freq
            sums.append(total)
        return tuple(sums)

    @_Lazy
    def norm(self) -> float:
        """Euclidean norm of the token frequencies."""
        return math.sqrt(self.square_sums[-1]) if self.square_sums else 0.0

    def contains_phrase(self, phrase: str) -> bool:
        """True when the phrase's tokens appear consecutively in the message."""
        wanted = phrase.split()
        if not wanted:
            return False
        if len(wanted) == 1:
            return wanted[0] in self.token_set
        return _has_run(self.tokens, tuple(wanted))

    def ngram_similarity(self, other: NormalizedMessage) -> float:
        """Character-trigram Jaccard similarity with another message."""
        return jaccard(self.char_ngram_set, other.char_ngram_set)

    def matches(
        self, pattern: NormalizedPattern, ngram_threshold: float, cosine_threshold: float
    ) -> bool:
        """Exact phrase, trigram Jaccard ≥ `ngram_threshold` or token cosine
        ≥ `cosine_threshold`."""
        if pattern.tokens and _has_run(self.tokens, pattern.tokens):
            return True
        ngrams, other = self.char_ngram_set, pattern.char_ngram_set
        if ngrams and other and jaccard(ngrams, other) >= f32(ngram_threshold):
            return True
        freq, pattern_freq = self.token_frequency, pattern.token_frequency
        return bool(freq and pattern_freq and _cosine(freq, pattern_freq) >= f32(cosine_threshold))


def _has_run(tokens: tuple[str, ...], run: tuple[str, ...]) -> bool:
    n = len(run)
    if n > len(tokens):
        return False
    first = run[0]
    return any(tokens[i] == first and tokens[i : i + n] == run for i in range(len(tokens) - n + 1))
