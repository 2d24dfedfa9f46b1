"""The request and the answer of ``POST /function_calling``: the three outcomes (no intent,
clarification, tool calls) rendered as one ``chat.completion``."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MODEL_RESPONSE_KEY", "FcOutcome", "FcRequest", "completion_body"]

MODEL_RESPONSE_KEY = "x-arch-fc-model-response"


@dataclass(frozen=True, slots=True)
class FcRequest:
    """A function-calling request: an OpenAI chat request with tools."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    metadata: dict[str, Any]
    request_id: str

    @property
    def optimize_context(self) -> bool:
        """``metadata.optimize_context_window`` ("true"): tool results are sent empty."""
        value = self.metadata.get("optimize_context_window")
        return isinstance(value, str) and value.lower() == "true"

    @property
    def agent_mode(self) -> bool:
        """``metadata.use_agent_orchestrator``: no hallucination check, no verification."""
        return self.metadata.get("use_agent_orchestrator") is True


@dataclass(slots=True)
class FcOutcome:
    """What the model decided: text (clarification or empty), or tool calls."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    raw_response: str = ""
    """The model's answer as fenced JSON (``metadata["x-arch-fc-model-response"]``)."""


def completion_body(request: FcRequest, outcome: FcOutcome) -> dict[str, Any]:
    """The ``chat.completion`` answered to the client."""
    message: dict[str, Any] = {"role": "assistant", "content": outcome.content}
    if outcome.tool_calls:
        message["tool_calls"] = outcome.tool_calls
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "metadata": {MODEL_RESPONSE_KEY: outcome.raw_response},
    }
