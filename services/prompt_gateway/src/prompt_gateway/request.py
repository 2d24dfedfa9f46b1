"""The client's Chat Completions request: parsed once, every field kept.

Only the fields the gateway reads are checked (`model`, `messages`, `stream`, `metadata`); the
rest of the body (temperature, max_tokens, ...) travels on to the LLM unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from plano_common.errors import BadRequest
from plano_common.model_ids import check_model_id

__all__ = [
    "ChatRequest",
    "last_user_index",
    "parse_chat_request",
    "text_of",
]

_decode = msgspec.json.Decoder().decode


@dataclass(slots=True)
class ChatRequest:
    """A parsed chat request; `body` is the whole client body."""

    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    stream: bool
    metadata: dict[str, Any] | None


def parse_chat_request(raw: bytes) -> ChatRequest:
    """Decode and check a request body; raises BadRequest (400) with the reason."""
    try:
        body = _decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("`model` is required and must be a string", param="model")
    check_model_id(model)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("`messages` must be a non-empty array", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRequest(
                f"messages[{index}] must be an object with a string `role`", param="messages"
            )
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise BadRequest("`stream` must be a boolean", param="stream")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("`metadata` must be an object", param="metadata")
    return ChatRequest(body, model, messages, stream, metadata)


def text_of(content: Any) -> str | None:
    """The text of a message `content`: a string, or the joined text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            part["text"]
            for part in content
            if isinstance(part, dict)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
        ]
        return "\n".join(parts) if parts else None
    return None


def last_user_index(messages: list[dict[str, Any]]) -> int | None:
    """Index of the last `user` message, None when there is none."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return None
