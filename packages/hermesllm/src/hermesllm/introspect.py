"""Read and adjust the fields services need from a decoded client request.

Every function takes the JSON object of a client request (Chat Completions, Anthropic
Messages or Responses) as decoded by the caller. Malformed shapes never raise: a field of
an unexpected type simply contributes nothing.
"""

from collections.abc import Iterator
from typing import Any

import msgspec

from hermesllm.apis import ClientApi

__all__ = [
    "get_metadata",
    "get_model",
    "is_streaming",
    "last_user_message",
    "message_text",
    "remove_metadata",
    "set_model",
    "tool_names",
]

_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text", "summary_text", "refusal"})


def get_model(body: dict[str, Any]) -> str | None:
    """The requested model id, or None when absent or not a string."""
    model = body.get("model")
    return model if isinstance(model, str) else None


def set_model(body: dict[str, Any], model: str) -> None:
    """Replace the requested model id in place."""
    body["model"] = model


def is_streaming(body: dict[str, Any]) -> bool:
    """True when the client asked for a streamed response."""
    return body.get("stream") is True


def message_text(body: dict[str, Any], client: ClientApi) -> str:
    """All prompt text, newline-joined, for token counting.

    Includes system/developer prompts and instructions, every message's text, tool-call
    names and arguments, tool results, reasoning text and the tool definitions (names,
    descriptions and schemas), since all of them are prompt tokens upstream.
    """
    if client is ClientApi.CHAT:
        pieces = _chat_text(body)
    elif client is ClientApi.MESSAGES:
        pieces = _messages_text(body)
    else:
        pieces = _responses_text(body)
    return "\n".join(piece for piece in pieces if piece)


def last_user_message(body: dict[str, Any], client: ClientApi) -> str | None:
    """Text of the most recent user message that has text (tool results are skipped)."""
    if client is ClientApi.RESPONSES:
        items = body.get("input")
        if isinstance(items, str):
            return items or None
        messages = [
            item
            for item in _dicts(items if isinstance(items, list) else [items])
            if item.get("type", "message") == "message"
        ]
    else:
        messages = _dicts(body.get("messages"))
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        text = "\n".join(piece for piece in _typed_text(message.get("content")) if piece)
        if text:
            return text
    return None


def tool_names(body: dict[str, Any], client: ClientApi) -> list[str]:
    """Names of the tools the request declares (built-in tools by their type)."""
    names: list[str] = []
    for tool in _dicts(body.get("tools")):
        if client is ClientApi.CHAT:
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if name is None and isinstance(tool.get("custom"), dict):
                name = tool["custom"].get("name")
        elif client is ClientApi.RESPONSES and tool.get("type") == "namespace":
            names.extend(_names_of(_dicts(tool.get("tools"))))
            continue
        else:
            name = tool.get("name")
        if name is None:
            name = tool.get("type")
        if isinstance(name, str):
            names.append(name)
    return names


def get_metadata(body: dict[str, Any]) -> dict[str, Any] | None:
    """The request's ``metadata`` object, or None when absent or not an object."""
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, dict) else None


def remove_metadata(body: dict[str, Any], key: str) -> bool:
    """Remove one metadata key in place; True when it was present.

    An emptied ``metadata`` object is removed too, so no empty object is forwarded.
    """
    metadata = get_metadata(body)
    if metadata is None or key not in metadata:
        return False
    del metadata[key]
    if not metadata:
        del body["metadata"]
    return True


# ---- per-API text walkers -----------------------------------------------------------


def _chat_text(body: dict[str, Any]) -> Iterator[str]:
    for message in _dicts(body.get("messages")):
        yield from _content_text(message.get("content"))
        reasoning = message.get("reasoning_content")
        if isinstance(reasoning, str):
            yield reasoning
        for call in _dicts(message.get("tool_calls")):
            function = call.get("function")
            if isinstance(function, dict):
                yield from _strings(function.get("name"), function.get("arguments"))
    yield from _tools_text(body)


def _messages_text(body: dict[str, Any]) -> Iterator[str]:
    yield from _content_text(body.get("system"))
    for message in _dicts(body.get("messages")):
        yield from _content_text(message.get("content"))
    yield from _tools_text(body)


def _responses_text(body: dict[str, Any]) -> Iterator[str]:
    yield from _strings(body.get("instructions"))
    items = body.get("input")
    if isinstance(items, str):
        yield items
    else:
        for item in _dicts(items if isinstance(items, list) else [items]):
            yield from _responses_item_text(item)
    yield from _tools_text(body)


def _responses_item_text(item: dict[str, Any]) -> Iterator[str]:
    kind = item.get("type", "message")
    if kind == "message":
        yield from _content_text(item.get("content"))
    elif kind == "function_call":
        yield from _strings(item.get("name"), item.get("arguments"))
    elif kind == "custom_tool_call":
        yield from _strings(item.get("name"), item.get("input"))
    elif kind in ("function_call_output", "custom_tool_call_output"):
        yield from _content_text(item.get("output"))
    elif kind == "reasoning":
        yield from _content_text(item.get("summary"))
        yield from _content_text(item.get("content"))


def _content_text(content: Any) -> Iterator[str]:
    """Text of a content value: a string, or a list of parts/blocks of any of our APIs."""
    if isinstance(content, str):
        yield content
        return
    for part in _dicts(content):
        kind = part.get("type")
        if not isinstance(kind, str):
            continue
        if kind in _TEXT_PART_TYPES:
            yield from _strings(part.get("text"), part.get("refusal"))
        elif kind == "thinking":
            yield from _strings(part.get("thinking"))
        elif kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            yield from _strings(part.get("name"))
            yield _json(part.get("input"))
        elif kind.endswith("tool_result"):
            yield from _content_text(part.get("content"))
        elif kind == "document":
            source = part.get("source")
            if isinstance(source, dict) and source.get("type") == "text":
                yield from _strings(source.get("data"))


def _typed_text(content: Any) -> Iterator[str]:
    """Text the author typed: a string, or the text parts of a list (no tool results)."""
    if isinstance(content, str):
        yield content
        return
    for part in _dicts(content):
        if part.get("type") in ("text", "input_text", "output_text"):
            yield from _strings(part.get("text"))


def _tools_text(body: dict[str, Any]) -> Iterator[str]:
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        yield _json(tools)


def _names_of(tools: list[dict[str, Any]]) -> list[str]:
    return [name for tool in tools if isinstance(name := tool.get("name"), str)]


def _strings(*values: Any) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value


def _json(value: Any) -> str:
    if value is None:
        return ""
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a JSON list (other values yield nothing)."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []
