"""The Arch-Function backend: the model's prompt protocol, a streamed answer watched for
hallucinated parameter values (one clarification retry), tolerant parsing, verification."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from brightstaff.function_calling.answer import FcOutcome, FcRequest
from brightstaff.function_calling.hallucination import HallucinationState
from brightstaff.function_calling.parsing import ParsedAnswer, parse_answer
from brightstaff.function_calling.prompt import CLARIFY_PREFIX, DEFAULT_PREFIX, prefill
from brightstaff.function_calling.upstream import ModelClient
from brightstaff.function_calling.verify import verify_tool_calls

__all__ = ["ARCH_FUNCTION_PROVIDER", "ArchFunctionBackend", "generation_params", "with_prefix"]

ARCH_FUNCTION_PROVIDER = "arch-function"
"""The provider name the config gives the Arch-Function model."""
logger = logging.getLogger(__name__)


def generation_params(agent_mode: bool) -> dict[str, Any]:
    """Sampling parameters of the Arch-Function model (vLLM extensions included)."""
    return {
        "temperature": 0.01 if agent_mode else 0.1,
        "top_p": 1.0,
        "max_tokens": 1024,
        "logprobs": True,
        "top_logprobs": 10,
        "continue_final_message": True,
        "add_generation_prompt": False,
        "top_k": 10,
        "stop_token_ids": [151645],
    }


def with_prefix(text: str, prefix: str) -> str:
    """The whole answer: `text` when the model repeated the prefill (or answered bare JSON),
    else the prefill followed by the model's continuation."""
    stripped = text.lstrip()
    if stripped.startswith(("```", "{")):
        return text
    return prefix + text


class ArchFunctionBackend:
    """Function calling with an Arch-Function model served at an OpenAI-compatible endpoint."""

    name = "arch"

    def __init__(self, client: ModelClient, provider: str, model: str) -> None:
        self.client = client
        self.provider = provider
        self.model = model

    def _body(
        self, messages: list[dict[str, str]], prefix: str, agent_mode: bool
    ) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": prefill(messages, prefix),
            **generation_params(agent_mode),
        }

    async def answer(self, request: FcRequest, messages: list[dict[str, str]]) -> FcOutcome:
        """The outcome for the prepared `messages` (system prompt and rewritten history)."""
        body = self._body(messages, DEFAULT_PREFIX, request.agent_mode)
        if request.tools and not request.agent_mode:
            text = await self._watched(request, messages, body)
        else:
            text = with_prefix(await self._collect(request, body), DEFAULT_PREFIX)
        return self._outcome(request, parse_answer(text))

    async def _collect(self, request: FcRequest, body: dict[str, Any]) -> str:
        async with contextlib.aclosing(
            self.client.stream(self.provider, body, request.request_id)
        ) as tokens:
            parts = [token.content async for token in tokens]
        return "".join(parts)

    async def _watched(
        self, request: FcRequest, messages: list[dict[str, str]], body: dict[str, Any]
    ) -> str:
        state = HallucinationState.for_tools(request.tools or [])
        has_tool_calls: bool | None = None
        hallucinated = False
        async with contextlib.aclosing(
            self.client.stream(self.provider, body, request.request_id)
        ) as tokens:
            async for token in tokens:
                if state.append(token.content, token.logprobs):
                    hallucinated = True
                    break
                if len(state.tokens) > 5 and has_tool_calls is None:
                    has_tool_calls = "tool_calls" in state.text()
        if not (has_tool_calls and hallucinated):
            return with_prefix(state.text(), DEFAULT_PREFIX)
        logger.info(
            "hallucinated parameter value, asking for clarification: %s", state.error_message[:200]
        )
        retry = self._body(messages, CLARIFY_PREFIX, request.agent_mode)
        answer = await self.client.complete(self.provider, retry, request.request_id)
        return with_prefix(_message_content(answer), CLARIFY_PREFIX)

    def _outcome(self, request: FcRequest, parsed: ParsedAnswer) -> FcOutcome:
        outcome = FcOutcome(raw_response=parsed.raw_response)
        if parsed.response:
            return outcome
        if parsed.required_functions:
            outcome.content = "" if request.agent_mode else parsed.clarification
            return outcome
        if not parsed.tool_calls or not parsed.is_valid:
            return outcome
        if not request.agent_mode:
            verification = verify_tool_calls(request.tools or [], parsed.tool_calls)
            if not verification.is_valid:
                logger.warning("invalid tool call: %s", verification.error_message[:300])
                return outcome
        outcome.tool_calls = parsed.tool_calls
        return outcome


def _message_content(answer: dict[str, Any]) -> str:
    choices = answer.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            return content
    return ""
