"""The jailbreak input guard, enforced on the last user message.

With a guard endpoint (`PLANO_GUARD_URL`) each 300-word chunk of the message is sent as
`{"input": <chunk>, "task": "jailbreak"}`; the answer `{jailbreak_prob, jailbreak_verdict}`
blocks when the verdict is true or the probability exceeds the threshold. A guard that cannot
be reached (or answers unusably) follows the `on_error` policy: `closed` refuses the request
(503), `open` lets it through; both are logged and counted. Without an endpoint the built-in
detector (`jailbreak_patterns`) decides.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

import msgspec

from plano_common.errors import GatewayError, ServiceUnavailable
from prompt_gateway.jailbreak_patterns import builtin_verdict
from prompt_gateway.upstream import Callouts, Target

__all__ = ["CHUNK_WORDS", "DEFAULT_BLOCK_MESSAGE", "GuardDecision", "JailbreakGuard", "chunks"]

logger = logging.getLogger("plano.prompt_gateway.guard")

CHUNK_WORDS = 300
DEFAULT_BLOCK_MESSAGE = "refrain from discussing jailbreaking."
_BUILTIN_OFFLOAD_CHARS = 64 * 1024
_MAX_PARALLEL = 4

GuardSource = Literal["endpoint", "builtin", "error"]


@dataclass(frozen=True, slots=True)
class GuardDecision:
    """The guard's answer for one message."""

    blocked: bool
    source: GuardSource


class _Verdict(msgspec.Struct):
    jailbreak_prob: float | list[float] = 0.0
    jailbreak_verdict: bool | None = None


def chunks(text: str, size: int = CHUNK_WORDS) -> list[str]:
    """The text in runs of at most `size` words (one run for a short text)."""
    words = text.split()
    if len(words) <= size:
        return [text]
    return [" ".join(words[start : start + size]) for start in range(0, len(words), size)]


class JailbreakGuard:
    """Decides whether a user message is a jailbreak attempt."""

    def __init__(
        self,
        callouts: Callouts,
        target: Target | None,
        *,
        timeout: float,
        threshold: float,
        on_error: Literal["open", "closed"],
        message: str,
    ) -> None:
        self.callouts = callouts
        self.target = target
        self.timeout = timeout
        self.threshold = threshold
        self.on_error = on_error
        self.message = message or DEFAULT_BLOCK_MESSAGE

    async def check(self, text: str, headers: dict[str, str]) -> GuardDecision:
        """The decision; raises ServiceUnavailable when the guard fails and the policy is closed."""
        if self.target is None:
            if len(text) > _BUILTIN_OFFLOAD_CHARS:
                blocked = await asyncio.to_thread(builtin_verdict, text)
            else:
                blocked = builtin_verdict(text)
            return GuardDecision(blocked, "builtin")
        try:
            return await self._ask(text, headers)
        except GatewayError as exc:
            logger.warning(
                "prompt guard unavailable (policy %s): %s", self.on_error, exc.message[:300]
            )
            if self.on_error == "closed":
                raise ServiceUnavailable(
                    "the prompt guard is unavailable; the request was not processed"
                ) from None
            return GuardDecision(False, "error")

    async def _ask(self, text: str, headers: dict[str, str]) -> GuardDecision:
        assert self.target is not None
        parts = chunks(text)
        limit = asyncio.Semaphore(_MAX_PARALLEL)

        async def one(part: str) -> tuple[float, bool]:
            async with limit:
                return await self._ask_chunk(part, headers)

        answers = await asyncio.gather(*(one(part) for part in parts))
        worst = max(score for score, _ in answers)
        blocked = worst > self.threshold or any(verdict for _, verdict in answers)
        return GuardDecision(blocked, "endpoint")

    async def _ask_chunk(self, part: str, headers: dict[str, str]) -> tuple[float, bool]:
        assert self.target is not None
        payload = msgspec.json.encode({"input": part, "task": "jailbreak"})
        path = self.target.path or "/"
        reply = await self.callouts.call(self.target, "POST", path, headers, payload, self.timeout)
        if not 200 <= reply.status < 300:
            raise GatewayError(f"guard answered HTTP {reply.status}", status=502)
        try:
            verdict = msgspec.json.decode(reply.body, type=_Verdict)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise GatewayError(f"guard answer unusable: {exc}", status=502) from None
        prob = verdict.jailbreak_prob
        score = max(prob) if isinstance(prob, list) and prob else prob
        value = float(score) if isinstance(score, int | float) else 0.0
        return value, bool(verdict.jailbreak_verdict)
