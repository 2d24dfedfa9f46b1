"""Echo mode: the reply text chosen from the last user message of any wire format.

If the last user message contains "respond with exactly: X" (any case), the reply is X
(stripped); otherwise it is `DEFAULT_TEXT`.
"""

from __future__ import annotations

import re
from typing import Any

from plano_testkit.wire.common import WireApi

__all__ = ["DEFAULT_TEXT", "echo_text", "last_user_text"]

DEFAULT_TEXT = "Hello from the fake upstream."
_INSTRUCTION = re.compile(r"respond with exactly:\s*(.*)", re.IGNORECASE | re.DOTALL)


def echo_text(api: WireApi, body: Any) -> str:
    """The echo-mode reply for a decoded request body."""
    match = _INSTRUCTION.search(last_user_text(api, body))
    if match is None:
        return DEFAULT_TEXT
    return match.group(1).strip()


def last_user_text(api: WireApi, body: Any) -> str:
    """All text of the last user message of a request body ("" when there is none)."""
    if not isinstance(body, dict):
        return ""
    if api is WireApi.GEMINI:
        return _last_text(body.get("contents"), role_key="role", content_key="parts")
    if api is WireApi.RESPONSES:
        items = body.get("input")
        if isinstance(items, str):
            return items
        return _last_text(items, role_key="role", content_key="content")
    return _last_text(body.get("messages"), role_key="role", content_key="content")


def _last_text(messages: Any, *, role_key: str, content_key: str) -> str:
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get(role_key, "user") == "user":
            text = _text_of(message.get(content_key))
            if text:
                return text
    return ""


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [
        part["text"]
        for part in content
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    ]
    return "\n".join(texts)
