"""Reading an agent's reply: the text of an intermediate agent (SSE deltas joined, or the
message of a JSON reply)."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["reply_text"]

_decode = msgspec.json.Decoder().decode


def reply_text(body: bytes, content_type: str) -> str:
    """The assistant text of a Chat Completions reply, streamed or not."""
    if content_type == "text/event-stream":
        return "".join(_delta_texts(body))
    try:
        decoded = _decode(body)
    except msgspec.DecodeError:
        return body.decode("utf-8", errors="replace")
    message = _first_choice(decoded).get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _delta_texts(body: bytes) -> list[str]:
    texts: list[str] = []
    for line in body.replace(b"\r\n", b"\n").split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if not data or data == b"[DONE]":
            continue
        try:
            event = _decode(data)
        except msgspec.DecodeError:
            continue
        delta = _first_choice(event).get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str):
            texts.append(content)
    return texts


def _first_choice(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        choices = value.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            return choices[0]
    return {}
