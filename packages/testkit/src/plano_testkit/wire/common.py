"""Pieces shared by every wire format: the resolved turn, delta splitting, SSE framing."""

from __future__ import annotations

import enum
import re
import string
from dataclasses import dataclass
from typing import Any

import msgspec

from hermesllm.usage import Usage
from plano_testkit.reply import ToolCall

__all__ = [
    "ARGUMENT_FRAGMENT_CHARS",
    "ResolvedToolCall",
    "Turn",
    "WireApi",
    "dumps",
    "padding",
    "resolve_tool_calls",
    "split_fragments",
    "split_words",
    "sse",
    "status_class_type",
    "uncached_input_tokens",
]

_WORDS = re.compile(r"\s*\S+\s*|\s+")
ARGUMENT_FRAGMENT_CHARS = 8
_PADDING_ALPHABET = string.ascii_letters + string.digits
_ENCODER = msgspec.json.Encoder()


class WireApi(enum.Enum):
    """The wire formats the fake upstream speaks."""

    CHAT = "chat"
    RESPONSES = "responses"
    MESSAGES = "messages"
    BEDROCK = "bedrock"
    GEMINI = "gemini"


@dataclass(frozen=True)
class ResolvedToolCall:
    """A tool call with its id fixed for one response."""

    id: str
    name: str
    arguments_json: str
    arguments: Any


@dataclass(frozen=True)
class Turn:
    """Everything one response says, resolved from a `Reply` and the request."""

    response_id: str
    model: str
    created: int
    text: str
    thinking: str | None
    thinking_signature: str
    tool_calls: tuple[ResolvedToolCall, ...]
    finish_reason: str
    usage: Usage
    include_usage: bool
    include_obfuscation: bool = True

    @property
    def text_deltas(self) -> list[str]:
        """The text split the way it is streamed: one word (with its spaces) per delta."""
        return split_words(self.text)

    @property
    def thinking_deltas(self) -> list[str]:
        """The thinking split into stream deltas."""
        return split_words(self.thinking or "")


def uncached_input_tokens(usage: Usage) -> int:
    """The prompt tokens neither read from nor written to the cache: Anthropic's and Bedrock's
    `input_tokens`, which leave cache reads and writes out of the prompt total."""
    return max(usage.input_tokens - usage.cached_input_tokens - usage.cache_creation_tokens, 0)


def resolve_tool_calls(calls: tuple[ToolCall, ...], prefix: str) -> tuple[ResolvedToolCall, ...]:
    """Give each call an id (`{prefix}{n}` when the script has none)."""
    return tuple(
        ResolvedToolCall(
            id=call.id or f"{prefix}{n}",
            name=call.name,
            arguments_json=call.arguments_json,
            arguments=call.arguments_object,
        )
        for n, call in enumerate(calls)
    )


def split_words(text: str) -> list[str]:
    """Split text into stream deltas that join back to the same text."""
    return _WORDS.findall(text)


def split_fragments(text: str, size: int = ARGUMENT_FRAGMENT_CHARS) -> list[str]:
    """Split text (tool arguments) into fixed-size fragments."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def padding(position: int) -> str:
    """Deterministic alphanumeric padding of varying length, like the providers' stream
    obfuscation (OpenAI `obfuscation`, Bedrock `p`)."""
    return _PADDING_ALPHABET[: 2 + (position * 7) % 40]


def dumps(value: Any) -> bytes:
    """Compact JSON, non-ASCII kept as UTF-8 like the providers send it."""
    return _ENCODER.encode(value)


def sse(data: Any, event: str | None = None, *, newline: bytes = b"\n") -> bytes:
    """One server-sent event: optional `event:` line, a `data:` line of JSON, a blank line."""
    payload = data if isinstance(data, bytes) else dumps(data)
    head = b"event: " + event.encode() + newline if event else b""
    return head + b"data: " + payload + newline + newline


def status_class_type(
    status: int, table: dict[int, str], server_default: str, client_default: str
) -> str:
    """An error type for a status from a provider table, else by status class."""
    if status in table:
        return table[status]
    return server_default if status >= 500 else client_default
