"""Reasoning effort (OpenAI) ↔ thinking token budget (Anthropic, Bedrock, Gemini)."""

from hermesllm.translate.conversation import Conversation, unsigned_tool_turn

__all__ = [
    "MIN_THINKING_BUDGET",
    "budget_for_effort",
    "claude_sampling",
    "claude_thinking",
    "conversation_thinking",
    "effort_for_budget",
    "reasoning_effort",
    "sampling_allowed_while_thinking",
    "thinking_budget",
]

MIN_THINKING_BUDGET = 1024

_BUDGET_BY_EFFORT = {
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 16384,
    "xhigh": 32768,
    "max": 32768,
}


def budget_for_effort(effort: str | None) -> int | None:
    """The thinking budget for a reasoning effort; None when reasoning is off or unknown."""
    if effort is None:
        return None
    return _BUDGET_BY_EFFORT.get(effort)


def effort_for_budget(budget: int | None) -> str | None:
    """The reasoning effort closest to a thinking budget; None when thinking is off."""
    if budget is None or budget <= 0:
        return None
    if budget <= 2048:
        return "low"
    if budget <= 8192:
        return "medium"
    return "high"


def thinking_budget(effort: str | None, budget: int | None) -> int | None:
    """The budget a request asks for, from an explicit budget or else from its effort."""
    if budget is not None:
        return budget if budget > 0 else None
    return budget_for_effort(effort)


def reasoning_effort(effort: str | None, budget: int | None) -> str | None:
    """The effort a request asks for, from an explicit effort or else from its budget."""
    if effort is not None:
        return effort
    return effort_for_budget(budget)


def claude_thinking(
    effort: str | None,
    budget: int | None,
    max_tokens: int | None,
    thinking_blocked: bool,
    default_max_tokens: int,
) -> tuple[int | None, int | None]:
    """(thinking budget, max_tokens) for a Claude request.

    Claude needs max_tokens above the budget (it grows when the client set none, else the
    budget shrinks, down to the 1024 minimum); `thinking_blocked` (a forced tool, an unsigned
    tool turn) turns thinking off.
    """
    wanted = None if thinking_blocked else thinking_budget(effort, budget)
    if wanted is None:
        return None, max_tokens
    if max_tokens is None:
        return wanted, wanted + default_max_tokens
    if wanted < max_tokens:
        return wanted, max_tokens
    if max_tokens - 1 >= MIN_THINKING_BUDGET:
        return max_tokens - 1, max_tokens
    return None, max_tokens


def sampling_allowed_while_thinking(top_p: float | None) -> bool:
    """Claude accepts top_p while thinking only from 0.95 up (and no temperature or top_k)."""
    return top_p is not None and top_p >= 0.95


def conversation_thinking(
    conversation: Conversation, default_max_tokens: int
) -> tuple[int | None, int | None]:
    """`claude_thinking` for a conversation: a forced tool or an unsigned tool turn blocks it."""
    return claude_thinking(
        conversation.reasoning_effort,
        conversation.thinking_budget,
        conversation.max_tokens,
        conversation.tool_choice in ("required", "tool") or unsigned_tool_turn(conversation.turns),
        default_max_tokens,
    )


def claude_sampling(
    conversation: Conversation, thinking: bool
) -> tuple[float | None, float | None, int | None]:
    """(temperature, top_p, top_k) a Claude request can carry: while thinking only a top_p
    from 0.95 up is accepted."""
    if not thinking:
        return conversation.temperature, conversation.top_p, conversation.top_k
    top_p = conversation.top_p if sampling_allowed_while_thinking(conversation.top_p) else None
    return None, top_p, None
