"""A client request's messages as chat turns (role and text), whatever API it speaks.

Text parts are joined with newlines; images, files and tool calls carry no text. Anthropic
``tool_result`` blocks and Responses ``function_call_output`` items become ``tool`` turns, so a
request that only returns tool output ends with a non-user turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from brightstaff.routing.prompt import ChatTurn
from hermesllm.apis import ClientApi

__all__ = ["conversation", "is_user_turn"]

_TEXT_TYPES: Final = frozenset({"text", "input_text", "output_text"})
_TOOL_OUTPUT_TYPES: Final = frozenset({"function_call_output", "custom_tool_call_output"})
_ENVELOPES: Final = (
    ("<system-reminder>", "</system-reminder>"),
    ("<user-prompt-submit-hook>", "</user-prompt-submit-hook>"),
)


def conversation(body: dict[str, Any], api: ClientApi) -> list[ChatTurn]:
    """The request's messages, oldest first, as chat turns."""
    if api is ClientApi.CHAT:
        return list(_chat(body))
    if api is ClientApi.MESSAGES:
        return list(_messages(body))
    return list(_responses(body))


def is_user_turn(turns: list[ChatTurn]) -> bool:
    """True when the request opens a user turn: it ends with a user message that carries an
    attachment or text besides harness envelopes (``<system-reminder>``…)."""
    if not turns or turns[-1].role != "user":
        return False
    last = turns[-1]
    return last.attachment or bool(_strip_envelopes(last.text).strip())


def _strip_envelopes(text: str) -> str:
    for opening, closing in _ENVELOPES:
        while (start := text.find(opening)) >= 0:
            end = text.find(closing, start + len(opening))
            text = text[:start] + ("" if end < 0 else text[end + len(closing) :])
    return text


def _chat(body: dict[str, Any]) -> Iterator[ChatTurn]:
    for message in _dicts(body.get("messages")):
        role = message.get("role")
        if isinstance(role, str):
            text, attachment = _content(message.get("content"))
            yield ChatTurn(role, text, attachment and role == "user")


def _messages(body: dict[str, Any]) -> Iterator[ChatTurn]:
    system, _ = _content(body.get("system"))
    if system:
        yield ChatTurn("system", system)
    for message in _dicts(body.get("messages")):
        role = message.get("role")
        content = message.get("content")
        if not isinstance(role, str):
            continue
        blocks = _dicts(content)
        results = [b for b in blocks if b.get("type") == "tool_result"]
        for block in results:
            yield ChatTurn("tool", _content(block.get("content"))[0])
        text, attachment = _content(content)
        if text or attachment or not results:
            yield ChatTurn(role, text, attachment and role == "user")


def _responses(body: dict[str, Any]) -> Iterator[ChatTurn]:
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        yield ChatTurn("system", _clean(instructions))
    items = body.get("input")
    if isinstance(items, str):
        yield ChatTurn("user", _clean(items))
        return
    for item in _dicts(items if isinstance(items, list) else [items]):
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if isinstance(role, str):
                text, attachment = _content(item.get("content"))
                yield ChatTurn(role, text, attachment and role == "user")
        elif kind in _TOOL_OUTPUT_TYPES:
            yield ChatTurn("tool", _content(item.get("output"))[0])
        elif kind in ("function_call", "custom_tool_call"):
            yield ChatTurn("assistant", "")


def _content(content: Any) -> tuple[str, bool]:
    """The text of a content value and whether it holds non-text parts."""
    if isinstance(content, str):
        return _clean(content), False
    texts: list[str] = []
    attachment = False
    for part in _dicts(content):
        kind = part.get("type")
        text = part.get("text")
        if kind in _TEXT_TYPES and isinstance(text, str):
            texts.append(text)
        elif kind != "tool_result":
            attachment = True
    return _clean("\n".join(texts)), attachment


def _clean(text: str) -> str:
    """The text with lone surrogates replaced, so it always encodes as UTF-8."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode()
    return text


def _dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []
