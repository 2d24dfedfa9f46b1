"""Token counting that never blocks the event loop.

Short texts are counted inline (well under a millisecond); longer ones in one worker thread
(tiktoken releases the GIL while encoding) with a bounded number of pending counts; texts above
a size threshold, or arriving while the queue is full, are estimated as characters/4. One
client's huge prompt therefore costs that client a wait or an estimate, never other requests.

| knob | env | default |
|---|---|---|
| longest text counted inline on the loop | `PLANO_TOKENIZER_INLINE_MAX_CHARS` | 4096 |
| longest text counted exactly (longer: estimated) | `PLANO_TOKENIZER_EXACT_MAX_CHARS` | 1000000 |
| counts waiting for the worker (more: estimated) | `PLANO_TOKENIZER_MAX_PENDING` | 16 |
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from plano_common.env_knobs import env_int
from plano_common.tokenizer import count_tokens, estimate_tokens

__all__ = ["AsyncTokenCounter", "TokenCounterSettings"]

DEFAULT_INLINE_MAX_CHARS = 4096
DEFAULT_EXACT_MAX_CHARS = 1_000_000
DEFAULT_MAX_PENDING = 16


@dataclass(frozen=True, slots=True)
class TokenCounterSettings:
    """Where counting moves off the loop and where it becomes an estimate."""

    inline_max_chars: int = DEFAULT_INLINE_MAX_CHARS
    exact_max_chars: int = DEFAULT_EXACT_MAX_CHARS
    max_pending: int = DEFAULT_MAX_PENDING

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TokenCounterSettings:
        """Settings from the `PLANO_TOKENIZER_*` variables (ValueError names a bad one)."""

        def knob(name: str, default: int) -> int:
            return env_int(environ, f"PLANO_TOKENIZER_{name}", default, allow_zero=True)

        return cls(
            inline_max_chars=knob("INLINE_MAX_CHARS", DEFAULT_INLINE_MAX_CHARS),
            exact_max_chars=knob("EXACT_MAX_CHARS", DEFAULT_EXACT_MAX_CHARS),
            max_pending=knob("MAX_PENDING", DEFAULT_MAX_PENDING),
        )


class AsyncTokenCounter:
    """Counts tokens for async callers without blocking their event loop."""

    def __init__(self, settings: TokenCounterSettings | None = None) -> None:
        self.settings = settings or TokenCounterSettings()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """Counts submitted to the worker and not finished (or canceled) yet."""
        return self._pending

    async def count(self, model: str, text: str) -> int:
        """Tokens of `text` for `model`: exact when affordable, else estimated (characters/4)."""
        settings = self.settings
        size = len(text)
        if size <= settings.inline_max_chars:
            return count_tokens(model, text)
        if size > settings.exact_max_chars:
            return estimate_tokens(text)
        future = self._submit(model, text)
        if future is None:
            return estimate_tokens(text)
        return await asyncio.wrap_future(future)

    def _submit(self, model: str, text: str) -> Future[int] | None:
        with self._lock:
            if self._pending >= self.settings.max_pending:
                return None
            self._pending += 1
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenizer")
        future = self._executor.submit(count_tokens, model, text)
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: Future[int]) -> None:
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        """Stop the worker (queued counts are canceled; a running one finishes on its own)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
