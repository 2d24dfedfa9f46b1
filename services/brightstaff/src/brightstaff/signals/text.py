"""Text normalization and fuzzy phrase matching shared by the interaction detectors.

A message is lowercased, typographic quotes and dashes become ASCII, whitespace collapses and
tokens lose their edge punctuation. A pattern matches a message by exact token phrase,
character-trigram Jaccard similarity or token-frequency cosine similarity. Similarities are
compared in single precision, as the original implementation does.
"""

from __future__ import annotations

import math
import operator
import struct
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat
from typing import Any, Generic, TypeVar, overload

__all__ = [
    "NormalizedMessage",
    "NormalizedPattern",
    "Trigram",
    "aligned_similarity",
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
_pack_f32, _unpack_f32 = _F32.pack, _F32.unpack


def f32(value: float) -> float:
    """`value` rounded to single precision."""
    result: float = _unpack_f32(_pack_f32(value))[0]
    return result


def _ascii_punctuation(text: str) -> str:
    return text if text.isascii() else text.translate(_ASCII)


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(filter(None, map(str.strip, text.split(), repeat(PUNCT_TRIM))))


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
    inter = len(a) - len(a - b)
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
            tokens=_tokens(normalized),
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


KEPT_TRIGRAMS = 64
"""A message keeps its trigram set when it has at most this many trigrams (phrase matching
compares only such sets); a larger set is computed again when needed. Messages live on in
the analyzer's cache, and large sets of many small integers make garbage collection slow."""
SIMILARITIES_KEPT = 4
"""At most this many similarities with other messages are remembered per message."""


class NormalizedMessage:
    """One message prepared for matching (long texts keep their head and tail).

    The trigram set, token positions and frequencies are computed on first use: most
    messages need only some of them."""

    __slots__ = (
        "__dict__",
        "_trigrams",
        "content_tokens",
        "hits",
        "ngram_count",
        "raw",
        "similarities",
        "tokens",
    )

    def __init__(self, raw: str, tokens: tuple[str, ...]) -> None:
        self.raw = raw
        self.tokens = tokens
        self.hits: dict[tuple[float, float], Any] | None = None
        """Pattern matches found for this message, by thresholds (see `interaction`)."""
        self.ngram_count: int | None = None
        """The size of the trigram set, once computed."""
        self.similarities: dict[str, float] | None = None
        """Trigram similarities with other messages, by their text (see `stagnation`)."""
        self.content_tokens: frozenset[str] | None = None
        """The token set less the stopwords, once computed (see `interaction`)."""
        self._trigrams: frozenset[Trigram] | None = None

    @classmethod
    def from_text(cls, text: str, max_length: int = 2000) -> NormalizedMessage:
        """Normalize one message of at most `max_length` characters (head 1/5 + tail)."""
        if len(text) > max_length:
            head_len = max_length // 5
            tail_len = max(max_length - (head_len + 1), 0)
            text = f"{text[:head_len]} {text[len(text) - tail_len :] if tail_len else ''}"
        normalized = _ascii_punctuation(text).lower()
        return cls(text, _tokens(normalized))

    @property
    def char_ngram_set(self) -> frozenset[Trigram]:
        """Character trigrams of the tokens joined by spaces (see `KEPT_TRIGRAMS`)."""
        grams = self._trigrams
        if grams is None:
            grams = char_ngrams(self.joined)
            self.ngram_count = len(grams)
            if len(grams) <= KEPT_TRIGRAMS:
                self._trigrams = grams
        return grams

    @property
    def trigram_count(self) -> int:
        """The size of the trigram set."""
        known = self.ngram_count
        return len(self.char_ngram_set) if known is None else known

    def similarity(self, other: NormalizedMessage) -> float | None:
        """The remembered trigram similarity with `other`, if any."""
        return None if self.similarities is None else self.similarities.get(other.raw)

    def remember_similarity(self, other: NormalizedMessage, value: float) -> None:
        """Remember the trigram similarity with `other` (at most `SIMILARITIES_KEPT`)."""
        kept = self.similarities
        if kept is None:
            kept = self.similarities = {}
        elif len(kept) >= SIMILARITIES_KEPT:
            kept.clear()
        kept[other.raw] = value

    @_Lazy
    def token_set(self) -> frozenset[str]:
        """The distinct tokens."""
        return frozenset(self.tokens)

    @_Lazy
    def token_frequency(self) -> Counter[str]:
        """How often each token occurs."""
        return Counter(self.tokens)

    @_Lazy
    def joined(self) -> str:
        """The tokens joined by single spaces."""
        return " ".join(self.tokens)

    @_Lazy
    def padded(self) -> str:
        """The tokens joined by single spaces, with a space at both ends."""
        return f" {self.joined} "

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


ALIGNED_DIFFERENCES = 4
"""`aligned_similarity` applies when at most this many token positions differ."""


def _missing_trigrams(tokens: tuple[str, ...], at: Sequence[int], other: str) -> int:
    """How many distinct trigrams overlapping the tokens at positions `at` (in the tokens
    joined by spaces) occur nowhere in `other`."""
    last = len(tokens) - 1
    parts: list[str] = []
    for position in at:
        part = tokens[position]
        if position:
            part = f"{tokens[position - 1][-1]} {part}"
        if position < last:
            part = f"{part} {tokens[position + 1][0]}"
        parts.append(part)
    return len(
        {
            gram
            for part in parts
            for i in range(len(part) - 2)
            if (gram := part[i : i + 3]) not in other
        }
    )


def aligned_similarity(earlier: NormalizedMessage, later: NormalizedMessage) -> float | None:
    """The trigram Jaccard similarity of two messages with as many tokens, differing in at most
    `ALIGNED_DIFFERENCES` positions (else None), without the later message's trigram set.

    A trigram of one message that lies within the text between differing tokens occurs in
    the other message too (the same tokens joined by the same spaces), so only the trigrams
    overlapping a differing token are looked up in the other text; the later message's
    trigram count follows from the earlier one's."""
    tokens1, tokens2 = earlier.tokens, later.tokens
    if len(tokens1) != len(tokens2):
        return None
    differing = list(compress(count(), map(operator.ne, tokens1, tokens2)))
    if len(differing) > ALIGNED_DIFFERENCES:
        return None
    count1 = earlier.trigram_count
    only1 = _missing_trigrams(tokens1, differing, later.joined)
    only2 = _missing_trigrams(tokens2, differing, earlier.joined)
    count2 = count1 - only1 + only2
    if later.ngram_count is None:
        later.ngram_count = count2
    if not count1 and not count2:
        return 1.0
    if not count1 or not count2:
        return 0.0
    return f32((count1 - only1) / (count1 + only2))


def _has_run(tokens: tuple[str, ...], run: tuple[str, ...]) -> bool:
    n = len(run)
    if n > len(tokens):
        return False
    first = run[0]
    return any(tokens[i] == first and tokens[i : i + n] == run for i in range(len(tokens) - n + 1))
