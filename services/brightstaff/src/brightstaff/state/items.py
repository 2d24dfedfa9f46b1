"""Conversions between a Responses request's input, a response's output and stored history.

- A string input is one user message; one item object is a list of one.
- Output items become the input items a client would send back: messages keep their role and
  their `output_text`/`refusal` parts, function and custom tool calls keep their call ids (so
  the next turn can answer them), reasoning keeps its summary, text and encrypted content.
  Items no translation can send on (hosted tool calls) are dropped.
- Items that came from a response's output carry `OUTPUT_MARK` (the response id) in storage, so
  the stored history can be split back into that response's input and output; the mark is
  removed before history is forwarded or shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "OUTPUT_MARK",
    "InvalidInputError",
    "forwarded",
    "item_id",
    "output_to_input",
    "request_items",
    "split_output",
]

JsonObject = dict[str, Any]
OUTPUT_MARK = "plano_output_of"
_ID_PREFIXES = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "custom_tool_call": "ctc",
    "custom_tool_call_output": "ctco",
    "reasoning": "rs",
}


class InvalidInputError(ValueError):
    """The request's `input` is neither a string, an item nor a list of items."""


def request_items(value: Any) -> list[JsonObject]:
    """The input items of a request's `input` (a copy of the list, items shared)."""
    if isinstance(value, str):
        return [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}
        ]
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return list(value)
    if value is None:
        return []
    raise InvalidInputError("`input` must be a string or a list of input items")


def output_to_input(output: Iterable[Any], response_id: str) -> list[JsonObject]:
    """The input items equivalent to a response's output items, marked as its output."""
    converted: list[JsonObject] = []
    for raw in output:
        if not isinstance(raw, dict):
            continue
        item = _converted(raw)
        if item is not None:
            item[OUTPUT_MARK] = response_id
            converted.append(item)
    return converted


def _converted(raw: JsonObject) -> JsonObject | None:
    kind = raw.get("type")
    if kind == "message":
        parts = [_part(part) for part in raw.get("content") or () if isinstance(part, dict)]
        content = [part for part in parts if part is not None]
        if not content:
            return None
        return {"type": "message", "role": raw.get("role") or "assistant", "content": content}
    if kind == "function_call":
        return _pick(raw, "function_call", ("call_id", "name", "arguments"))
    if kind == "custom_tool_call":
        return _pick(raw, "custom_tool_call", ("call_id", "name", "input"))
    if kind == "reasoning":
        return _pick(raw, "reasoning", ("summary", "content", "encrypted_content"))
    return None


def _part(part: JsonObject) -> JsonObject | None:
    kind = part.get("type")
    if kind == "output_text" and isinstance(part.get("text"), str):
        return {"type": "output_text", "text": part["text"]}
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return {"type": "refusal", "refusal": part["refusal"]}
    return None


def _pick(raw: JsonObject, kind: str, keys: Sequence[str]) -> JsonObject:
    item: JsonObject = {"type": kind}
    for key in keys:
        value = raw.get(key)
        if value is not None:
            item[key] = value
    return item


def forwarded(items: Iterable[JsonObject]) -> list[JsonObject]:
    """Stored items as a request sends them: without the output mark."""
    return [_unmarked(item) if OUTPUT_MARK in item else item for item in items]


def _unmarked(item: JsonObject) -> JsonObject:
    return {key: value for key, value in item.items() if key != OUTPUT_MARK}


def split_output(
    items: Sequence[JsonObject], response_id: str
) -> tuple[list[JsonObject], list[JsonObject]]:
    """A stored history split into the response's input items and its own output items."""
    end = len(items)
    while end > 0 and items[end - 1].get(OUTPUT_MARK) == response_id:
        end -= 1
    return forwarded(items[:end]), forwarded(items[end:])


def item_id(item: JsonObject, position: int) -> str:
    """The item's own id, else a stable id from its kind and its position in the history."""
    own = item.get("id")
    if isinstance(own, str) and own:
        return own
    kind = item.get("type") or ("message" if "role" in item else "item")
    prefix = _ID_PREFIXES.get(kind, "item") if isinstance(kind, str) else "item"
    return f"{prefix}_{position:06d}"
