"""The API-neutral model of a non-streaming response."""

import msgspec

from hermesllm.translate.conversation import Reasoning, Text, ToolCall
from hermesllm.usage import Usage

__all__ = ["Reply", "ReplyBlock"]

ReplyBlock = Text | ToolCall | Reasoning


class Reply(msgspec.Struct):
    """A model's answer: `finish_reason` in OpenAI terms, `stop_reason` in Anthropic terms."""

    id: str
    model: str
    created: int
    blocks: list[ReplyBlock]
    finish_reason: str
    stop_reason: str
    usage: Usage | None = None
    stop_sequence: str | None = None
    refusal: str | None = None
