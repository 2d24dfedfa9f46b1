"""Reading the orchestrator's answer: ``{"route": ["name", ...]}``, tolerantly."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

import msgspec

__all__ = ["MalformedAnswerError", "answer_content", "first_known_route", "route_names"]

MAX_ANSWER_BYTES: Final = 64 * 1024


class MalformedAnswerError(ValueError):
    """The orchestrator answered something that is not the expected JSON."""


def answer_content(reply: dict[str, Any]) -> str:
    """The text of the first choice of a chat-completions reply ("" when there is none)."""
    choices = reply.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def route_names(content: str) -> list[str]:
    """The non-empty route names of an answer, in order.

    Single quotes are read as double quotes and literal ``\\n`` sequences are dropped before
    parsing. Empty content, a null or missing ``route`` and an empty list mean no route.
    Raises `MalformedAnswerError` when the fixed-up content is not such a JSON object.
    """
    if not content:
        return []
    if len(content) > MAX_ANSWER_BYTES:
        raise MalformedAnswerError("answer too long")
    fixed = content.replace("'", '"').replace("\\n", "")
    try:
        decoded = msgspec.json.decode(fixed)
    except msgspec.DecodeError as exc:
        raise MalformedAnswerError(str(exc)) from None
    if not isinstance(decoded, dict):
        raise MalformedAnswerError("answer is not a JSON object")
    routes = decoded.get("route")
    if routes is None:
        return []
    if not isinstance(routes, list) or not all(isinstance(r, str) for r in routes):
        raise MalformedAnswerError("route is not a list of names")
    return [r for r in routes if r]


def first_known_route(names: list[str], known: Collection[str]) -> str | None:
    """The first answered route that is one of ``known`` (unknown names are skipped)."""
    return next((name for name in names if name in known), None)
