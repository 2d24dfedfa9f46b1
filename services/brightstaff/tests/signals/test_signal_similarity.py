"""The trigram similarity of aligned messages (same token count, few differing tokens) equals
the Jaccard similarity of their trigram sets, and the later message's trigram count is exact."""

from __future__ import annotations

import random

from brightstaff.signals.text import (
    ALIGNED_DIFFERENCES,
    NormalizedMessage,
    aligned_similarity,
    char_ngrams,
    jaccard,
)

WORDS = [
    "a",
    "ab",
    "aba",
    "abab",
    "the",
    "order",
    "1000",
    "1001",
    "x",
    "é",
    "été",
    "“q”",
    "aaa",
    "b",
]


def _pairs(rng: random.Random) -> list[tuple[list[str], list[str]]]:
    pairs = []
    for _ in range(3000):
        first = [rng.choice(WORDS) for _ in range(rng.randint(0, 12))]
        second = list(first)
        for _ in range(rng.randint(0, ALIGNED_DIFFERENCES + 1)):
            if second:
                second[rng.randrange(len(second))] = rng.choice(WORDS)
        if rng.random() < 0.1:
            second.append(rng.choice(WORDS))
        pairs.append((first, second))
    return pairs


def test_aligned_similarity_matches_the_trigram_sets() -> None:
    compared = 0
    for first, second in _pairs(random.Random(11)):
        earlier = NormalizedMessage.from_text(" ".join(first))
        later = NormalizedMessage.from_text(" ".join(second))
        expected = jaccard(
            char_ngrams(" ".join(earlier.tokens)), char_ngrams(" ".join(later.tokens))
        )
        found = aligned_similarity(earlier, later)
        if found is None:
            continue
        compared += 1
        assert found == expected, (first, second)
        assert later.ngram_count == len(char_ngrams(" ".join(later.tokens))), (first, second)
    assert compared > 1000
