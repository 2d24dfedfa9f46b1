"""AsyncTokenCounter: exact counts off the loop, estimates past the size and queue bounds."""

from __future__ import annotations

import asyncio
import threading

import pytest

from plano_common import token_counter
from plano_common.token_counter import AsyncTokenCounter, TokenCounterSettings
from plano_common.tokenizer import count_tokens, estimate_tokens

TEXT = "The quick brown fox jumps over the lazy dog. " * 200  # 9,000 characters


def test_short_and_medium_texts_are_counted_exactly() -> None:
    counter = AsyncTokenCounter(TokenCounterSettings(inline_max_chars=100))
    try:
        assert asyncio.run(counter.count("gpt-4o", "hello world")) == count_tokens(
            "gpt-4o", "hello world"
        )
        assert asyncio.run(counter.count("gpt-4o", TEXT)) == count_tokens("gpt-4o", TEXT)
        assert counter.pending == 0
    finally:
        counter.close()


def test_texts_above_the_exact_bound_are_estimated() -> None:
    counter = AsyncTokenCounter(TokenCounterSettings(inline_max_chars=10, exact_max_chars=1000))
    try:
        assert asyncio.run(counter.count("gpt-4o", TEXT)) == estimate_tokens(TEXT)
    finally:
        counter.close()


def test_a_full_queue_means_estimates_and_cancelled_counts_free_their_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()

    def blocked_count(model: str, text: str) -> int:
        gate.wait(10)
        return count_tokens(model, text)

    monkeypatch.setattr(token_counter, "count_tokens", blocked_count)
    counter = AsyncTokenCounter(TokenCounterSettings(inline_max_chars=10, max_pending=2))

    async def run() -> tuple[int, int]:
        first = asyncio.ensure_future(counter.count("gpt-4o", TEXT))
        second = asyncio.ensure_future(counter.count("gpt-4o", TEXT))
        await asyncio.sleep(0.05)
        assert counter.pending == 2
        estimated = await counter.count("gpt-4o", TEXT)
        second.cancel()  # still queued behind the first: its place frees at once
        await asyncio.sleep(0.05)
        assert counter.pending == 1
        gate.set()
        return estimated, await first

    try:
        estimated, exact = asyncio.run(run())
    finally:
        gate.set()
        counter.close()
    assert estimated == estimate_tokens(TEXT)
    assert exact == count_tokens("gpt-4o", TEXT)
    assert counter.pending == 0


def test_settings_from_env() -> None:
    settings = TokenCounterSettings.from_env(
        {"PLANO_TOKENIZER_EXACT_MAX_CHARS": "5000", "PLANO_TOKENIZER_MAX_PENDING": "3"}
    )
    assert settings.exact_max_chars == 5000
    assert settings.max_pending == 3
    assert settings.inline_max_chars == token_counter.DEFAULT_INLINE_MAX_CHARS
    with pytest.raises(ValueError, match="PLANO_TOKENIZER_MAX_PENDING"):
        TokenCounterSettings.from_env({"PLANO_TOKENIZER_MAX_PENDING": "many"})
