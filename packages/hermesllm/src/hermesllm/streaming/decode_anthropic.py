"""Upstream decoder: Anthropic Messages stream events."""

from __future__ import annotations

from typing import Any

import msgspec

from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import SseDecoder
from hermesllm.types.anthropic import AnthropicUsage
from hermesllm.usage import Usage

__all__ = ["AnthropicDecoder", "merge_anthropic_usage"]


class _Message(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    usage: AnthropicUsage | None = None


class _Block(msgspec.Struct):
    type: str = ""
    id: str | None = None
    name: str | None = None
    text: str | None = None
    thinking: str | None = None
    signature: str | None = None
    input: Any = None


class _Delta(msgspec.Struct):
    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    thinking: str | None = None
    signature: str | None = None
    stop_reason: str | None = None


class _Error(msgspec.Struct):
    type: str | None = None
    message: str | None = None


class _Event(msgspec.Struct):
    type: str = ""
    index: int = 0
    message: _Message | None = None
    content_block: _Block | None = None
    delta: _Delta | None = None
    usage: AnthropicUsage | None = None
    error: _Error | None = None


_decode_event = msgspec.json.Decoder(_Event).decode
_encode = msgspec.json.encode


def merge_anthropic_usage(current: Usage, update: AnthropicUsage) -> Usage:
    """Apply reported counts; neutral input_tokens is the prompt total (cache reads included)."""
    cached = current.cached_input_tokens
    if update.cache_read_input_tokens is not None:
        cached = update.cache_read_input_tokens
    created = current.cache_creation_tokens
    if update.cache_creation_input_tokens is not None:
        created = update.cache_creation_input_tokens
    uncached = current.input_tokens - current.cached_input_tokens - current.cache_creation_tokens
    if update.input_tokens is not None:
        uncached = update.input_tokens
    output = current.output_tokens if update.output_tokens is None else update.output_tokens
    return Usage(
        input_tokens=uncached + cached + created,
        output_tokens=output,
        cached_input_tokens=cached,
        cache_creation_tokens=created,
        reasoning_tokens=current.reasoning_tokens,
    )


class AnthropicDecoder(SseDecoder):
    """Decodes message_start … message_stop; content block indexes key the tool calls.

    Server tool blocks (`server_tool_use`, web search results) ran at Anthropic: they are left
    out, as in non-streaming translation, so clients never see them as calls to execute.
    """

    __slots__ = ("_usage",)

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._usage = Usage()

    def handle(self, name: str | None, data: str) -> None:
        event = _decode_event(data)
        kind = event.type
        sink = self.sink
        if kind == "content_block_delta":
            delta = event.delta
            if delta is None:
                return
            if delta.text is not None:
                sink.text(delta.text)
            elif delta.partial_json is not None:
                sink.tool_args(event.index, delta.partial_json)
            elif delta.thinking is not None:
                sink.thinking(delta.thinking)
            elif delta.signature is not None:
                sink.signature(delta.signature)
        elif kind == "content_block_start":
            self._block_start(event.index, event.content_block)
        elif kind == "message_start":
            message = event.message or _Message()
            if message.usage is not None:
                self._report(message.usage)
            sink.start(message.id, message.model)
        elif kind == "message_delta":
            if event.delta is not None and event.delta.stop_reason:
                sink.finish(event.delta.stop_reason)
            if event.usage is not None:
                self._report(event.usage)
        elif kind == "message_stop":
            sink.end()
        elif kind == "error":
            error = event.error or _Error()
            sink.error(error.message or "upstream error", error.type or "api_error")

    def _report(self, update: AnthropicUsage) -> None:
        self._usage = merge_anthropic_usage(self._usage, update)
        self.sink.report_usage(self._usage)

    def _block_start(self, index: int, block: _Block | None) -> None:
        if block is None:
            return
        sink = self.sink
        if block.type == "tool_use":
            sink.tool_start(index, block.id or f"toolu_{index}", block.name or "")
            if block.input:
                sink.tool_args(index, _encode(block.input).decode())
        elif block.type == "text" and block.text:
            sink.text(block.text)
        elif block.type == "thinking":
            if block.thinking:
                sink.thinking(block.thinking)
            if block.signature:
                sink.signature(block.signature)
