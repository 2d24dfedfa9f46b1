"""A request body's conversation as ShareGPT rows, for each client API.

User text → ``human``, assistant text → ``gpt``, each tool call → a ``function_call`` row
(``{"arguments", "name"}`` JSON) right after its assistant text, each tool result →
``observation``; system and developer messages are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from brightstaff.signals.execution import Row
from hermesllm.apis import ClientApi

__all__ = ["conversation_rows"]


def conversation_rows(api: ClientApi, body: dict[str, Any]) -> list[Row]:
    """The rows of the conversation a request body carries."""
    if api is ClientApi.RESPONSES:
        return list(_responses(body.get("input")))
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    rows: list[Row] = []
    add = _anthropic if api is ClientApi.MESSAGES else _chat
    for message in messages:
        if isinstance(message, dict):
            add(message, rows)
    return rows


def _call(name: Any, arguments: Any) -> Row:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"))
    return "function_call", json.dumps(
        {"arguments": args, "name": name if isinstance(name, str) else ""}, separators=(",", ":")
    )


def _text(content: Any, kinds: tuple[str, ...] = ("text",)) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = [
        p["text"]
        for p in content
        if isinstance(p, dict) and p.get("type") in kinds and isinstance(p.get("text"), str)
    ]
    return "\n".join(parts)


def _chat(message: dict[str, Any], rows: list[Row]) -> None:
    role = message.get("role")
    if role == "user":
        rows.append(("human", _text(message.get("content"))))
    elif role == "assistant":
        text = _text(message.get("content"))
        if text:
            rows.append(("gpt", text))
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                rows.append(_call(function.get("name"), function.get("arguments", "")))
    elif role == "tool":
        rows.append(("observation", _text(message.get("content"))))


def _anthropic(message: dict[str, Any], rows: list[Row]) -> None:
    role, content = message.get("role"), message.get("content")
    blocks = content if isinstance(content, list) else []
    if role == "user":
        rows.extend(
            ("observation", _text(block.get("content")))
            for block in blocks
            if isinstance(block, dict) and block.get("type") == "tool_result"
        )
        text = _text(content)
        if text or not blocks:
            rows.append(("human", text))
    elif role == "assistant":
        text = _text(content)
        if text:
            rows.append(("gpt", text))
        rows.extend(
            _call(block.get("name"), block.get("input", {}))
            for block in blocks
            if isinstance(block, dict) and block.get("type") == "tool_use"
        )


def _responses(items: Any) -> Iterator[Row]:
    if isinstance(items, str):
        yield "human", items
        return
    if not isinstance(items, list):
        return
    kinds = ("input_text", "output_text", "text")
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "function_call":
            yield _call(item.get("name"), item.get("arguments", ""))
        elif kind == "function_call_output":
            output = item.get("output")
            yield "observation", output if isinstance(output, str) else _text(output, kinds)
        elif kind == "message" and item.get("role") == "user":
            yield "human", _text(item.get("content"), kinds)
        elif kind == "message" and item.get("role") == "assistant":
            text = _text(item.get("content"), kinds)
            if text:
                yield "gpt", text
