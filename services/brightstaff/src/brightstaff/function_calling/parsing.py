"""Tolerant parsing of an Arch-Function answer: code fences, escaped quotes, unbalanced
brackets and single quotes are repaired before the JSON is read."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ParsedAnswer", "fix_json", "new_call_id", "parse_answer"]

_PAIRS = {")": "(", "}": "{", "]": "["}
_OPENERS = {v: k for k, v in _PAIRS.items()}


class JsonRepairError(ValueError):
    """The text is not JSON even after repair."""


def fix_json(text: str) -> Any:
    """The JSON value of `text` after dropping unmatched closing brackets, closing the open
    ones, and (when still invalid) turning single quotes into double quotes."""
    stack: list[str] = []
    out: list[str] = []
    for ch in text.strip():
        if ch in _OPENERS:
            stack.append(ch)
            out.append(ch)
        elif ch in _PAIRS:
            if stack and stack[-1] == _PAIRS[ch]:
                stack.pop()
                out.append(ch)
        else:
            out.append(ch)
    out.extend(_OPENERS[ch] for ch in reversed(stack))
    fixed = "".join(out)
    try:
        return json.loads(fixed)
    except ValueError:
        pass
    try:
        return json.loads(fixed.replace("'", '"'))
    except ValueError as exc:
        raise JsonRepairError(f"Failed to fix JSON: {exc}") from None


def new_call_id() -> str:
    """A tool-call id ``call_NNNN`` (four digits, 1000 to 10999 as the original draws them)."""
    return f"call_{secrets.randbelow(10000) + 1000}"


@dataclass(slots=True)
class ParsedAnswer:
    """What the model answered."""

    raw_response: str = ""
    """The repaired JSON in a ```json fence (``metadata["x-arch-fc-model-response"]``)."""
    response: str | None = None
    required_functions: list[str] = field(default_factory=list)
    clarification: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    is_valid: bool = False
    error_message: str = ""


def _unfence(content: str) -> str:
    content = content.strip()
    if content.startswith("```") and content.endswith("```"):
        content = _trim_literal(content, "```")
        if content.startswith("json"):
            content = content[4:]
        content = _trim_literal(content, "\\n").strip()
        content = content.replace('\\"', '"')
    return content


def _trim_literal(text: str, piece: str) -> str:
    while text.startswith(piece):
        text = text[len(piece) :]
    while text.endswith(piece):
        text = text[: -len(piece)]
    return text


def parse_answer(content: str) -> ParsedAnswer:
    """Parse the model's (prefill-completed) answer."""
    parsed = ParsedAnswer()
    try:
        value = fix_json(_unfence(content))
    except JsonRepairError as exc:
        parsed.error_message = f"Failed to fix JSON: {exc}"
        return parsed
    parsed.raw_response = (
        f"```json\n{json.dumps(value, ensure_ascii=False, separators=(',', ':'))}\n```"
    )
    parsed.is_valid = True
    if not isinstance(value, dict):
        return parsed
    if isinstance(value.get("response"), str):
        parsed.response = value["response"]
    functions = value.get("required_functions")
    if isinstance(functions, list):
        parsed.required_functions = [f for f in functions if isinstance(f, str)]
    if isinstance(value.get("clarification"), str):
        parsed.clarification = value["clarification"]
    calls = value.get("tool_calls")
    if isinstance(calls, list):
        parsed.tool_calls = [_tool_call(item) for item in calls]
    return parsed


def _tool_call(item: Any) -> dict[str, Any]:
    item = item if isinstance(item, dict) else {}
    name = item.get("name")
    arguments = item.get("arguments")
    return {
        "id": new_call_id(),
        "type": "function",
        "function": {
            "name": name if isinstance(name, str) else "",
            "arguments": ""
            if arguments is None and "arguments" not in item
            else json.dumps(arguments, ensure_ascii=False, separators=(",", ":")),
        },
    }
