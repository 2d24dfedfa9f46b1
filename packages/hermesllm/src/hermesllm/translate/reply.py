"""The API-neutral model of a non-streaming response, and id helpers."""

import uuid

import msgspec

from hermesllm.translate.conversation import Reasoning, Text, ToolCall
from hermesllm.usage import Usage

ReplyBlock = Text | ToolCall | Reasoning

_ID_PREFIXES = ("chatcmpl-", "msg_", "resp_", "call_", "toolu_", "fc_", "rs_", "bedrock-")


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


def bare_id(value: str) -> str:
    """An id without its API prefix (`msg_abc` → `abc`), so it can take another prefix."""
    for prefix in _ID_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def new_id() -> str:
    """A fresh random id body."""
    return uuid.uuid4().hex


def prefixed(prefix: str, value: str) -> str:
    """`value` with `prefix`, replacing any other API prefix it had."""
    if value.startswith(prefix):
        return value
    return prefix + bare_id(value)
