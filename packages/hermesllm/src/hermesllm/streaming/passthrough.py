"""Same-API streams: forward the upstream bytes untouched while reading usage and first token."""

from __future__ import annotations

from typing import Any

import msgspec

from hermesllm.apis import ClientApi
from hermesllm.errors import StreamError
from hermesllm.sse import SseEvent, SseParser
from hermesllm.streaming.decode_anthropic import AnthropicUsage, merge_anthropic_usage
from hermesllm.streaming.decode_chat import ChatUsage, usage_from_chat
from hermesllm.streaming.decode_responses import ResponsesUsage, usage_from_responses
from hermesllm.streaming.encode_anthropic import anthropic_error_event
from hermesllm.streaming.encode_chat import chat_error_event
from hermesllm.streaming.encode_responses import responses_error_event
from hermesllm.usage import Usage

__all__ = ["PassthroughStream"]


class _ChatDelta(msgspec.Struct):
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[msgspec.Raw] | None = None


class _ChatChoice(msgspec.Struct):
    delta: _ChatDelta | None = None
    finish_reason: str | None = None


class _ChatChunk(msgspec.Struct):
    choices: list[_ChatChoice] | None = None
    usage: ChatUsage | None = None
    error: Any = None


class _AnthropicMessage(msgspec.Struct):
    usage: AnthropicUsage | None = None


class _AnthropicEvent(msgspec.Struct):
    type: str = ""
    message: _AnthropicMessage | None = None
    usage: AnthropicUsage | None = None


class _ResponsesResponse(msgspec.Struct):
    usage: ResponsesUsage | None = None


class _ResponsesEvent(msgspec.Struct):
    type: str = ""
    response: _ResponsesResponse | None = None


_decode_chat = msgspec.json.Decoder(_ChatChunk).decode
_decode_anthropic = msgspec.json.Decoder(_AnthropicEvent).decode
_decode_responses = msgspec.json.Decoder(_ResponsesEvent).decode

_RESPONSES_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_INCOMPLETE = "upstream stream ended before the response was complete"


def _has_token(choice: _ChatChoice) -> bool:
    delta = choice.delta
    return delta is not None and bool(
        delta.content or delta.reasoning_content or delta.reasoning or delta.tool_calls
    )


class PassthroughStream:
    """Returns every chunk as received; a copy goes through an SSE parser for metrics."""

    __slots__ = ("_client", "_finished", "_parser", "_tail", "done", "first_token_seen", "usage")

    def __init__(self, client: ClientApi) -> None:
        self._client = client
        self._parser: SseParser | None = SseParser()
        self._tail = b"\n\n"
        self._finished = False
        self.done = False
        self.first_token_seen = False
        self.usage: Usage | None = None

    def feed(self, chunk: bytes) -> bytes:
        """Forward `chunk` unchanged."""
        if not chunk:
            return chunk
        self._tail = (self._tail + chunk[-2:])[-2:]
        parser = self._parser
        if parser is not None and not self.done:
            try:
                events = parser.feed(chunk)
            except StreamError:
                self._parser = None
                return chunk
            for event in events:
                self._inspect(event)
        return chunk

    def finish(self) -> bytes:
        """Upstream EOF: close with the client's error event if the stream was incomplete.

        A chat stream that reported its finish_reason is complete even without `[DONE]`.
        """
        if self._parser is not None and not self.done:
            for event in self._parser.close():
                self._inspect(event)
        if self._finished:
            self.done = True
        return self.fail(_INCOMPLETE)

    def fail(self, message: str) -> bytes:
        """Append the client's error event unless the stream already ended."""
        if self.done:
            return b""
        self.done = True
        separator = b"" if self._tail.endswith(b"\n\n") else b"\n\n"
        if self._client is ClientApi.CHAT:
            return separator + chat_error_event(message)
        if self._client is ClientApi.MESSAGES:
            return separator + anthropic_error_event(message)
        return separator + responses_error_event(message)

    def _inspect(self, event: SseEvent) -> None:
        try:
            if self._client is ClientApi.CHAT:
                self._inspect_chat(event.data)
            elif self._client is ClientApi.MESSAGES:
                self._inspect_anthropic(event.event, event.data)
            else:
                self._inspect_responses(event.event, event.data)
        except msgspec.MsgspecError:
            return

    def _inspect_chat(self, data: str) -> None:
        if data == "[DONE]":
            self.done = True
            return
        chunk = _decode_chat(data)
        if chunk.error is not None:
            self.done = True
        for choice in chunk.choices or ():
            if not self.first_token_seen and _has_token(choice):
                self.first_token_seen = True
            if choice.finish_reason:
                self._finished = True
        if chunk.usage is not None:
            self.usage = usage_from_chat(chunk.usage)

    def _inspect_anthropic(self, name: str | None, data: str) -> None:
        if name == "content_block_delta":
            self.first_token_seen = True
            return
        if name == "ping":
            return
        event = _decode_anthropic(data)
        kind = event.type
        if kind == "content_block_delta":
            self.first_token_seen = True
        elif kind == "message_start" and event.message and event.message.usage:
            self.usage = merge_anthropic_usage(self.usage or Usage(), event.message.usage)
        elif kind == "message_delta" and event.usage is not None:
            self.usage = merge_anthropic_usage(self.usage or Usage(), event.usage)
        elif kind in ("message_stop", "error"):
            self.done = True

    def _inspect_responses(self, name: str | None, data: str) -> None:
        if name is not None and name.endswith(".delta"):
            self.first_token_seen = True
            return
        event = _decode_responses(data)
        kind = event.type
        if kind.endswith(".delta"):
            self.first_token_seen = True
        elif kind in _RESPONSES_FINAL:
            self.done = True
            if event.response is not None and event.response.usage is not None:
                self.usage = usage_from_responses(event.response.usage)
        elif kind == "error":
            self.done = True
