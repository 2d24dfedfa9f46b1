"""The LLM step: the conversation (with the API result as context) sent through the egress.

The body keeps every field the client sent (temperature, max_tokens, ...) except `metadata`
and the client's tool fields: the gateway's targets are the tools, and the tool-call history
is filtered out of what the LLM sees.
"""

from __future__ import annotations

from typing import Any

from prompt_gateway.request import ChatRequest, last_user_index, text_of

__all__ = [
    "CHAT_PATH",
    "DROPPED_FIELDS",
    "filter_history",
    "llm_body",
    "llm_messages",
]

CHAT_PATH = "/v1/chat/completions"
DROPPED_FIELDS = frozenset(
    {"metadata", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"}
)


def filter_history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages without tool results, tool-call messages and null-content messages."""
    return [
        m
        for m in messages
        if m.get("role") != "tool" and m.get("content") is not None and not m.get("tool_calls")
    ]


def llm_messages(
    system_prompt: str | None, messages: list[dict[str, Any]], context: str | None
) -> list[dict[str, Any]]:
    """`[system] + filtered history`, the last user message followed by `context: <text>`."""
    result: list[dict[str, Any]] = []
    if system_prompt:
        result.append({"role": "system", "content": system_prompt})
    history = filter_history(messages)
    if context is not None:
        index = last_user_index(history)
        if index is not None:
            text = text_of(history[index].get("content")) or ""
            history = list(history)
            history[index] = {"role": "user", "content": f"{text}\ncontext: {context}"}
    result.extend(history)
    return result


def llm_body(request: ChatRequest, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The client's body with the new messages, minus `metadata` and its tool fields."""
    body = {key: value for key, value in request.body.items() if key not in DROPPED_FIELDS}
    body["messages"] = messages
    return body
