"""Multi-turn state: the `x-arch-state` metadata value written in responses and read back.

A response of the tool-call path carries `metadata["x-arch-state"]`, the JSON text of
`{"messages": "<JSON text of [tool-call message, API response message]>"}`. A client may send
it back in its next request's `metadata`. It is read leniently: the JSON text or the decoded
object, `messages` as JSON text or as an array, or a bare array of messages. Anything else is
a 400 that says what was expected. The messages are spliced into the history the
function-calling model sees (unless the history already holds them).
"""

from __future__ import annotations

from typing import Any

import msgspec

from plano_common.errors import BadRequest

__all__ = ["ARCH_STATE_KEY", "MAX_STATE_MESSAGES", "encode_state", "merge_state", "read_state"]

ARCH_STATE_KEY = "x-arch-state"
MAX_STATE_MESSAGES = 64
_EXPECTED = (
    'metadata["x-arch-state"] must be the value a previous response returned: JSON text of '
    '{"messages": [...]}'
)


def encode_state(messages: list[dict[str, Any]]) -> str:
    """The `x-arch-state` value for the messages of one tool call."""
    inner = msgspec.json.encode(messages).decode()
    return msgspec.json.encode({"messages": inner}).decode()


def read_state(metadata: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The state messages a client sent back (empty when none); raises BadRequest."""
    if not metadata or metadata.get(ARCH_STATE_KEY) is None:
        return []
    value = _json(metadata[ARCH_STATE_KEY])
    if isinstance(value, dict):
        value = _json(value.get("messages", []))
    if not isinstance(value, list) or len(value) > MAX_STATE_MESSAGES:
        raise BadRequest(_EXPECTED, param="metadata")
    for message in value:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRequest(_EXPECTED, param="metadata")
    return value


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return msgspec.json.decode(value)
    except msgspec.DecodeError:
        raise BadRequest(_EXPECTED, param="metadata") from None


def merge_state(
    messages: list[dict[str, Any]], state: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The history with the state messages placed where they happened.

    They go before the assistant answer that followed them (the last assistant message before
    the last user message), else just before the last user message. A history that already
    holds one of their tool results is returned unchanged.
    """
    if not state:
        return messages
    known = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
    if any(m.get("role") == "tool" and m.get("tool_call_id") in known for m in state):
        return messages
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    if last_user < 0:
        return messages
    at = last_user
    for index in range(last_user - 1, -1, -1):
        role = messages[index].get("role")
        if role == "user":
            break
        if role == "assistant":
            at = index
            break
    return [*messages[:at], *state, *messages[at:]]
