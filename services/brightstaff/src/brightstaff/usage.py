"""Token usage read off a whole (non-streamed) reply in the client's API."""

from __future__ import annotations

import msgspec

from hermesllm.apis import ClientApi
from hermesllm.types import anthropic as an
from hermesllm.types import openai_chat as chat
from hermesllm.types import openai_responses as rs
from hermesllm.usage import Usage
from hermesllm.usage_wire import usage_from_anthropic, usage_from_chat, usage_from_responses

__all__ = ["usage_of_body"]


class _ChatBody(msgspec.Struct):
    usage: chat.ChatUsage | None = None


class _MessagesBody(msgspec.Struct):
    usage: an.AnthropicUsage | None = None


class _ResponsesBody(msgspec.Struct):
    usage: rs.ResponseUsage | None = None


_chat = msgspec.json.Decoder(_ChatBody).decode
_messages = msgspec.json.Decoder(_MessagesBody).decode
_responses = msgspec.json.Decoder(_ResponsesBody).decode


def usage_of_body(api: ClientApi, body: bytes) -> Usage | None:
    """The usage a reply reports, or None when it reports none or is not the API's JSON."""
    try:
        if api is ClientApi.CHAT:
            found = _chat(body).usage
            return usage_from_chat(found) if found is not None else None
        if api is ClientApi.MESSAGES:
            message_usage = _messages(body).usage
            return usage_from_anthropic(message_usage) if message_usage is not None else None
        response_usage = _responses(body).usage
        return usage_from_responses(response_usage) if response_usage is not None else None
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
