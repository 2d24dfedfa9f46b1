"""The orchestrator prompt: the route list, the selected conversation and the instructions.

The routing model (Plano-Orchestrator) was trained on this exact text, so every byte of the
template, the JSON spacing of the route lines and the 4-space indentation of the conversation
matter. Lengths are measured in UTF-8 bytes and a token is estimated as 4 bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "MAX_ROUTING_TURNS",
    "PROMPT_TEMPLATE",
    "TRIM_MARKER",
    "ChatTurn",
    "RouteSpec",
    "build_prompt",
    "orchestrator_body",
    "render_routes",
    "select_conversation",
    "trim_middle",
]

MAX_ROUTING_TURNS: Final = 16
"""Only the most recent messages (after filtering) are considered."""
BYTES_PER_TOKEN: Final = 4
TRIM_MARKER: Final = "\u2026"
ORCHESTRATOR_TEMPERATURE: Final = 0.01

PROMPT_TEMPLATE: Final = """
You are a helpful assistant that selects the most suitable routes based on user intent.
You are provided with a list of available routes enclosed within <routes></routes> XML tags:
<routes>
{routes}
</routes>

You are also given the conversation context enclosed within <conversation></conversation> XML tags:
<conversation>
{conversation}
</conversation>

## Instructions
1. Analyze the latest user intent from the conversation.
2. Compare it against the available routes to find which routes can help fulfill the request.
3. Respond only with the exact route names from <routes>.
4. If no routes can help or the intent is already fulfilled, return an empty list.

## Response Format
Return your answer strictly in JSON as follows:
{{"route": ["route_name_1", "route_name_2", "..."]}}
If no routes are needed, return an empty list for `route`.
"""
_TEMPLATE_TOKENS: Final = len(PROMPT_TEMPLATE.encode()) // BYTES_PER_TOKEN
_ROUTE_PARAMETERS: Final[dict[str, Any]] = {"type": "object", "properties": {}, "required": []}
_quoted: Final = json.encoder.encode_basestring
"""A JSON string literal with non-ASCII characters kept as they are."""


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A route offered to the orchestrator."""

    name: str
    description: str


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One conversation message reduced to what routing reads."""

    role: str
    """``system``, ``developer``, ``user``, ``assistant`` or ``tool``."""
    text: str
    attachment: bool = False
    """True when the message also carries non-text user content (an image, a file)."""


def render_routes(routes: Sequence[RouteSpec]) -> str:
    """One JSON object per route and line, with a space after every ``:`` and ``,``."""
    return _rendered_routes(tuple(routes))


@lru_cache(maxsize=64)
def _rendered_routes(routes: tuple[RouteSpec, ...]) -> str:
    return "\n".join(
        json.dumps(
            {"name": r.name, "description": r.description, "parameters": _ROUTE_PARAMETERS},
            ensure_ascii=False,
        )
        for r in routes
    )


def trim_middle(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes: ~60% head, the marker, ~40% tail.

    With no room for the marker only the head is kept. Cuts never split a character.
    """
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    marker = TRIM_MARKER.encode()
    if max_bytes <= len(marker):
        return raw[: _boundary_back(raw, max_bytes)].decode()
    available = max_bytes - len(marker)
    head = _boundary_back(raw, available * 3 // 5)
    tail = _boundary_forward(raw, max(len(raw) - (available - head), 0))
    return raw[:head].decode() + TRIM_MARKER + raw[tail:].decode()


def _boundary_back(raw: bytes, index: int) -> int:
    while 0 < index < len(raw) and raw[index] & 0xC0 == 0x80:
        index -= 1
    return index


def _boundary_forward(raw: bytes, index: int) -> int:
    while index < len(raw) and raw[index] & 0xC0 == 0x80:
        index += 1
    return index


def select_conversation(turns: Sequence[ChatTurn], context_length: int) -> list[ChatTurn]:
    """The messages shown to the orchestrator, oldest first.

    System, developer and tool messages and messages without text are dropped; of the rest the
    last `MAX_ROUTING_TURNS` are walked newest first while they fit the token budget. The user
    message that overflows it is middle-trimmed to the remaining room; any other overflowing
    message ends the walk. When nothing fits, the newest message is kept whole.
    """
    kept = [t for t in turns if t.role not in ("system", "developer", "tool") and t.text]
    window = kept[-MAX_ROUTING_TURNS:]
    used = _TEMPLATE_TOKENS
    selected: list[ChatTurn] = []
    for turn in reversed(window):
        tokens = len(turn.text.encode()) // BYTES_PER_TOKEN
        if used + tokens > context_length:
            remaining = max(context_length - used, 0)
            if turn.role == "user" and remaining > 0:
                selected.append(ChatTurn("user", trim_middle(turn.text, remaining * 4)))
            break
        used += tokens
        selected.append(ChatTurn(turn.role, turn.text))
    if not selected and window:
        selected.append(ChatTurn(window[-1].role, window[-1].text))
    selected.reverse()
    return selected


def build_prompt(routes: Sequence[RouteSpec], conversation: Sequence[ChatTurn]) -> str:
    """The orchestrator's single user message."""
    return PROMPT_TEMPLATE.replace("{routes}", render_routes(routes)).replace(
        "{conversation}", _conversation_json(conversation)
    )


def _conversation_json(conversation: Sequence[ChatTurn]) -> str:
    """The messages as a JSON array indented by 4 spaces (``json.dumps(..., indent=4)``)."""
    if not conversation:
        return "[]"
    items = (
        f'    {{\n        "role": {_quoted(t.role)},\n        "content": {_quoted(t.text)}\n    }}'
        for t in conversation
    )
    return "[\n" + ",\n".join(items) + "\n]"


def orchestrator_body(
    model: str, routes: Sequence[RouteSpec], turns: Sequence[ChatTurn], context_length: int
) -> dict[str, Any]:
    """The chat-completions body sent to the routing model."""
    prompt = build_prompt(routes, select_conversation(turns, context_length))
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": ORCHESTRATOR_TEMPERATURE,
    }
