"""The gateway's own answers: `chat.completion` bodies and well-formed SSE chunk streams.

Every chunk has `id`, `object: chat.completion.chunk`, `created`, `model` and a choice with
`index: 0`; a stream the gateway writes itself ends with a `finish_reason` chunk and
`data: [DONE]`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import Any

import msgspec

__all__ = [
    "ARCH_FC_MODEL",
    "DONE",
    "StreamIds",
    "chunk",
    "completion",
    "fenced_tool_calls",
    "local_stream",
    "sse",
]

ARCH_FC_MODEL = "Arch-Function"
DONE = b"data: [DONE]\n\n"
_encode = msgspec.json.Encoder().encode


class StreamIds:
    """The `id` and `created` shared by the chunks of one answer."""

    __slots__ = ("created", "id")

    def __init__(self, completion_id: str | None = None, created: int | None = None) -> None:
        self.id = completion_id or f"chatcmpl-{secrets.token_hex(12)}"
        self.created = created if created is not None else int(time.time())


def completion(
    model: str,
    content: str,
    *,
    ids: StreamIds | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A non-streaming `chat.completion` with one assistant message."""
    ids = ids or StreamIds()
    body: dict[str, Any] = {
        "id": ids.id,
        "object": "chat.completion",
        "created": ids.created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
    if metadata:
        body["metadata"] = metadata
    return body


def chunk(
    ids: StreamIds, model: str, delta: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    """One `chat.completion.chunk`."""
    return {
        "id": ids.id,
        "object": "chat.completion.chunk",
        "created": ids.created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def sse(event: dict[str, Any]) -> bytes:
    """One `data:` event."""
    return b"data: " + _encode(event) + b"\n\n"


def local_stream(
    model: str, parts: Iterable[tuple[dict[str, Any], str]], ids: StreamIds | None = None
) -> bytes:
    """A whole stream: one chunk per `(delta, model)` part, the stop chunk, then `[DONE]`.

    A part's model falls back to `model` when empty.
    """
    ids = ids or StreamIds()
    events = [sse(chunk(ids, part_model or model, delta)) for delta, part_model in parts]
    events.append(sse(chunk(ids, model, {}, "stop")))
    events.append(DONE)
    return b"".join(events)


def fenced_tool_calls(calls: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """The Arch-Function answer form of tool calls, for when the service sent none."""
    payload = {"tool_calls": [{"name": name, "arguments": args} for name, args in calls]}
    return "```json\n" + _encode(payload).decode() + "\n```"
