"""Fast first-match search of a message over several ordered pattern lists at once, with the
same answer as testing each list's patterns in order with `NormalizedMessage.matches`.

Exact phrases are found by substring search of the padded token string among the patterns
whose first token pair (first token, for one-token patterns) the message contains; trigram
Jaccard and token cosine similarities are computed only for patterns sharing a trigram or a
token with the message (inverted indexes), and skipped entirely when a size bound shows no
pattern can reach the threshold (long messages).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise

from brightstaff.signals.text import NormalizedMessage, NormalizedPattern, Trigram, f32

__all__ = ["PatternIndex"]

_MARGIN = 1e-6


class PatternIndex:
    """Named, ordered pattern lists, indexed together."""

    def __init__(
        self,
        lists: Mapping[str, Sequence[NormalizedPattern]],
        ngram_threshold: float = 0.65,
        cosine_threshold: float = 0.60,
    ) -> None:
        self.patterns: list[NormalizedPattern] = []
        self.owners: list[str] = []
        for name, patterns in lists.items():
            self.patterns.extend(patterns)
            self.owners.extend([name] * len(patterns))
        self.ngram_threshold = f32(ngram_threshold)
        self.cosine_threshold = f32(cosine_threshold)
        self._by_token_start: dict[str, list[int]] = {}
        self._by_pair_start: dict[str, dict[str, list[int]]] = {}
        self._by_ngram: dict[Trigram, list[int]] = {}
        self._by_token: dict[str, list[tuple[int, int]]] = {}
        self._norms: list[float] = []
        self._phrases: list[str] = []
        for i, pattern in enumerate(self.patterns):
            if len(pattern.tokens) == 1:
                self._by_token_start.setdefault(pattern.tokens[0], []).append(i)
            elif pattern.tokens:
                first, second = pattern.tokens[:2]
                self._by_pair_start.setdefault(first, {}).setdefault(second, []).append(i)
            for gram in pattern.char_ngram_set:
                self._by_ngram.setdefault(gram, []).append(i)
            for token, freq in pattern.token_frequency.items():
                self._by_token.setdefault(token, []).append((i, freq))
            self._norms.append(math.sqrt(sum(f * f for f in pattern.token_frequency.values())))
            self._phrases.append(f" {' '.join(pattern.tokens)} ")
        self._firsts = frozenset(self._by_token_start) | frozenset(self._by_pair_start)
        self._keys = frozenset(self._by_token)
        self._max_ngrams = max((len(p.char_ngram_set) for p in self.patterns), default=0)
        self._max_tokens = max((len(p.token_frequency) for p in self.patterns), default=0)

    def first_matches(self, message: NormalizedMessage) -> dict[str, NormalizedPattern]:
        """The first matching pattern of each list the message matches."""
        best: dict[str, int] = {}
        self._phrase(message, best)
        self._ngram(message, best)
        self._cosine(message, best)
        return {name: self.patterns[i] for name, i in best.items()}

    def _keep(self, best: dict[str, int], i: int) -> None:
        owner = self.owners[i]
        if i < best.get(owner, len(self.patterns)):
            best[owner] = i

    def _phrase_candidates(self, message: NormalizedMessage) -> set[int]:
        """The patterns whose first token (first two for longer patterns) the message has."""
        firsts = message.token_set & self._firsts
        candidates: set[int] = set()
        if not firsts:
            return candidates
        singles = self._by_token_start
        if singles:
            for token in firsts:
                candidates.update(singles.get(token, ()))
        pairs = self._by_pair_start
        tokens = message.tokens
        for token, following in pairwise(tokens):
            if token in firsts:
                seconds = pairs.get(token)
                if seconds is not None:
                    candidates.update(seconds.get(following, ()))
        return candidates

    def _phrase(self, message: NormalizedMessage, best: dict[str, int]) -> None:
        candidates = self._phrase_candidates(message)
        if not candidates:
            return
        padded = message.padded
        for i in sorted(candidates):
            if self.owners[i] not in best and self._phrases[i] in padded:
                best[self.owners[i]] = i

    def _ngram(self, message: NormalizedMessage, best: dict[str, int]) -> None:
        if not message.tokens:
            return
        grams, size = None, message.ngram_count
        if size is None:
            grams = message.char_ngram_set
            size = len(grams)
        if not size or self._max_ngrams < (self.ngram_threshold - _MARGIN) * size:
            return
        if grams is None:
            grams = message.char_ngram_set
        shared: dict[int, int] = {}
        for gram in grams:
            for i in self._by_ngram.get(gram, ()):
                shared[i] = shared.get(i, 0) + 1
        threshold = self.ngram_threshold
        for i in sorted(shared):
            inter = shared[i]
            if f32(inter / (size + len(self.patterns[i].char_ngram_set) - inter)) >= threshold:
                self._keep(best, i)

    def _cosine(self, message: NormalizedMessage, best: dict[str, int]) -> None:
        if not (message.token_set & self._keys):
            return
        sums = message.square_sums
        if self._max_tokens < len(sums):
            bound = math.sqrt(sums[self._max_tokens - 1]) / message.norm
            if bound < self.cosine_threshold - _MARGIN:
                return
        dots: dict[int, int] = {}
        for token, freq in message.token_frequency.items():
            for i, pattern_freq in self._by_token.get(token, ()):
                dots[i] = dots.get(i, 0) + freq * pattern_freq
        threshold = self.cosine_threshold
        for i in sorted(dots):
            if f32(dots[i] / (message.norm * self._norms[i])) >= threshold:
                self._keep(best, i)
