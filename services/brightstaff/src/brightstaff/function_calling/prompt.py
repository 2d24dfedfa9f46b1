r"""The Arch-Function prompt: the system prompt listing the tools, the history rewritten for
the model, truncation and the prefilled assistant turn.

The prompt texts and prefills are the ones the Arch-Function model is served with; the line
breaks and quotes inside them are the two-character sequences ``\n`` and ``\"`` (not control
characters), exactly as the original sends them.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "CLARIFY_PREFIX",
    "DEFAULT_PREFIX",
    "FORMAT_PROMPT",
    "MAX_PROMPT_TOKENS",
    "TASK_PROMPT",
    "PromptError",
    "format_system_prompt",
    "prefill",
    "process_messages",
    "strip_fence",
]

TASK_PROMPT = (
    r"You are a helpful assistant designed to assist with the user query by making one or more "
    r"function calls if needed.\n\nYou are provided with function signatures within "
    r"<tools></tools> XML tags:\n<tools>\n{tools}\n</tools>\n\nYour task is to decide which "
    r"functions are needed and collect missing parameters if necessary."
)
FORMAT_PROMPT = (
    r"\n\nBased on your analysis, provide your response in one of the following JSON formats:"
    r"\n1. If no functions are needed:\n```json\n{\"response\": \"Your response text here\"}"
    r"\n```\n2. If functions are needed but some required parameters are missing:\n```json\n"
    r"{\"required_functions\": [\"func_name1\", \"func_name2\", ...], \"clarification\": "
    r"\"Text asking for missing parameters\"}\n```\n3. If functions are needed and all "
    r"required parameters are available:\n```json\n{\"tool_calls\": [{\"name\": "
    r"\"func_name1\", \"arguments\": {\"argument1\": \"value1\", \"argument2\": \"value2\"}},"
    r"... (more tool calls as required)]}\n```"
)
DEFAULT_PREFIX = r"```json\n{\""
CLARIFY_PREFIX = r"```json\n{\"required_functions\":"
MAX_PROMPT_TOKENS = 1024
"""Prompt budget (≈ characters / 4) the history is truncated to, system message kept."""


class PromptError(ValueError):
    """The conversation cannot be sent to the model (e.g. it does not end with the user)."""


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def format_system_prompt(tools: list[dict[str, Any]]) -> str:
    """The system prompt: the task with each tool's function JSON, then the format."""
    listed = r"\n".join(_compact(tool.get("function", {})) for tool in tools)
    return TASK_PROMPT.replace("{tools}", listed) + FORMAT_PROMPT


def _text(content: Any) -> str:
    return content if isinstance(content, str) else ""


def strip_fence(text: str) -> str:
    """The text inside a ```json … ``` fence (unchanged when not fenced)."""
    if text.startswith("```") and text.endswith("```") and len(text) >= 6:
        text = text[3:-3].strip()
        if text.startswith("json"):
            text = text[4:].strip()
    return text


def _called_name(previous: dict[str, Any], call_id: Any) -> str | None:
    """The name of the tool call a tool message answers (by id, else the first call)."""
    calls = previous.get("tool_calls")
    if not isinstance(calls, list) or not calls:
        return None
    chosen = next((c for c in calls if isinstance(c, dict) and c.get("id") == call_id), calls[0])
    function = chosen.get("function") if isinstance(chosen, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else "no_name"


def _wrap(name: str, content: str) -> str:
    payload = {"name": name, "result": content}
    return f"<tool_response>\n{_compact(payload)}\n</tool_response>"


def _tool_response(previous: dict[str, Any], call_id: Any, content: str) -> str:
    called = _called_name(previous, call_id)
    if called is not None:
        return _wrap(called, content)
    if not isinstance(previous.get("content"), str):
        return content
    try:
        parsed = json.loads(strip_fence(previous["content"]))
    except ValueError:
        return content
    calls = parsed.get("tool_calls") if isinstance(parsed, dict) else None
    if not isinstance(calls, list) or not calls:
        return content
    first = calls[0] if isinstance(calls[0], dict) else {}
    name = first.get("name")
    return _wrap(name if isinstance(name, str) else "no_name", content)


def _rewrite(messages: list[dict[str, Any]], optimize_context: bool) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for idx, message in enumerate(messages):
        role = str(message.get("role", ""))
        content = _text(message.get("content"))
        calls = message.get("tool_calls")
        if calls is not None:
            if isinstance(calls, list) and calls:
                role = "assistant"
                function = calls[0].get("function", {}) if isinstance(calls[0], dict) else {}
                content = f"<tool_call>\n{_compact(function)}\n</tool_call>"
        elif role == "tool":
            role = "user"
            if optimize_context:
                content = "<tool_response>\n\n</tool_response>"
            elif idx > 0:
                content = _tool_response(messages[idx - 1], message.get("tool_call_id"), content)
        item = {"role": role, "content": content}
        if isinstance(message.get("name"), str):
            item["name"] = message["name"]
        out.append(item)
    return out


def _tokens(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass")) // 4


def truncate(messages: list[dict[str, str]], max_tokens: int) -> list[dict[str, str]]:
    """Keep the system message and the most recent turns within ≈`max_tokens` (4 chars each),
    cutting only at a user message."""
    start = 1 if messages and messages[0]["role"] in ("system", "developer") else 0
    used = _tokens(messages[0]["content"]) if start else 0
    cut = len(messages)
    for i in range(len(messages) - 1, start - 1, -1):
        used += _tokens(messages[i]["content"])
        if used >= max_tokens and messages[i]["role"] == "user":
            cut = i
            break
        if used < max_tokens:
            cut = i
    return messages[:start] + messages[cut:]


def process_messages(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    *,
    optimize_context: bool = False,
    max_tokens: int = MAX_PROMPT_TOKENS,
) -> list[dict[str, str]]:
    """The model's messages: system prompt, rewritten history, truncated; raises `PromptError`
    when the conversation does not end with a user message."""
    out = [{"role": "system", "content": format_system_prompt(tools)}] if tools else []
    out.extend(_rewrite(messages, optimize_context))
    if not out or out[-1]["role"] != "user":
        raise PromptError("Last message must be from user")
    return truncate(out, max_tokens)


def prefill(messages: list[dict[str, str]], prefix: str) -> list[dict[str, str]]:
    """The messages with a final assistant message holding `prefix` (continued by the model)."""
    return [*messages, {"role": "assistant", "content": prefix}]
