"""Stop-reason tables between the APIs.

OpenAI chat `finish_reason`: stop, length, tool_calls, content_filter, function_call.
Anthropic `stop_reason`: end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal.
Bedrock `stopReason`: end_turn, tool_use, max_tokens, stop_sequence, guardrail_intervened,
content_filtered. Gemini `finishReason`: STOP, MAX_TOKENS, SAFETY, RECITATION, LANGUAGE, OTHER,
BLOCKLIST, PROHIBITED_CONTENT, SPII, MALFORMED_FUNCTION_CALL, IMAGE_SAFETY, ...
"""

__all__ = [
    "anthropic_to_bedrock",
    "anthropic_to_openai",
    "bedrock_to_anthropic",
    "bedrock_to_openai",
    "gemini_to_anthropic",
    "gemini_to_openai",
    "openai_to_anthropic",
    "openai_to_responses_status",
]

_OPENAI_TO_ANTHROPIC = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
_ANTHROPIC_TO_OPENAI = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_BEDROCK_TO_OPENAI = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
_BEDROCK_TO_ANTHROPIC = {
    "end_turn": "end_turn",
    "stop_sequence": "stop_sequence",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "tool_use": "tool_use",
    "guardrail_intervened": "refusal",
    "content_filtered": "refusal",
}
_ANTHROPIC_TO_BEDROCK = {
    "end_turn": "end_turn",
    "stop_sequence": "stop_sequence",
    "max_tokens": "max_tokens",
    "tool_use": "tool_use",
    "refusal": "content_filtered",
    "pause_turn": "end_turn",
}
_GEMINI_TO_OPENAI = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}


def openai_to_anthropic(finish_reason: str | None) -> str:
    """OpenAI finish_reason → Anthropic stop_reason (unknown → end_turn)."""
    return _OPENAI_TO_ANTHROPIC.get(finish_reason or "stop", "end_turn")


def anthropic_to_openai(stop_reason: str | None) -> str:
    """Anthropic stop_reason → OpenAI finish_reason (unknown → stop)."""
    return _ANTHROPIC_TO_OPENAI.get(stop_reason or "end_turn", "stop")


def bedrock_to_openai(stop_reason: str | None) -> str:
    """Bedrock stopReason → OpenAI finish_reason (unknown → stop)."""
    return _BEDROCK_TO_OPENAI.get(stop_reason or "end_turn", "stop")


def bedrock_to_anthropic(stop_reason: str | None) -> str:
    """Bedrock stopReason → Anthropic stop_reason (unknown → end_turn)."""
    return _BEDROCK_TO_ANTHROPIC.get(stop_reason or "end_turn", "end_turn")


def anthropic_to_bedrock(stop_reason: str | None) -> str:
    """Anthropic stop_reason → Bedrock stopReason (unknown → end_turn)."""
    return _ANTHROPIC_TO_BEDROCK.get(stop_reason or "end_turn", "end_turn")


def gemini_to_openai(finish_reason: str | None, *, has_tool_calls: bool = False) -> str:
    """Gemini finishReason → OpenAI finish_reason; a turn with function calls is tool_calls."""
    if has_tool_calls and finish_reason in (None, "STOP"):
        return "tool_calls"
    return _GEMINI_TO_OPENAI.get(finish_reason or "STOP", "stop")


def gemini_to_anthropic(finish_reason: str | None, *, has_tool_calls: bool = False) -> str:
    """Gemini finishReason → Anthropic stop_reason."""
    return openai_to_anthropic(gemini_to_openai(finish_reason, has_tool_calls=has_tool_calls))


def openai_to_responses_status(finish_reason: str | None) -> tuple[str, str | None]:
    """OpenAI finish_reason → Responses (status, incomplete_details.reason or None)."""
    if finish_reason == "length":
        return "incomplete", "max_output_tokens"
    if finish_reason == "content_filter":
        return "incomplete", "content_filter"
    return "completed", None
