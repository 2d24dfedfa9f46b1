"""Upstream decoder: OpenAI chat completion chunks."""

from __future__ import annotations

import msgspec

from hermesllm.stop_reasons import openai_to_anthropic
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import SseDecoder
from hermesllm.types.openai_chat import ChatUsage
from hermesllm.usage_wire import usage_from_chat

__all__ = ["ChatDecoder"]


class _FunctionDelta(msgspec.Struct):
    name: str | None = None
    arguments: str | None = None


class _ToolCallDelta(msgspec.Struct):
    index: int | None = None
    id: str | None = None
    function: _FunctionDelta | None = None


class _Delta(msgspec.Struct):
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCallDelta] | None = None


class _Choice(msgspec.Struct):
    index: int = 0
    delta: _Delta | None = None
    finish_reason: str | None = None


class _Error(msgspec.Struct):
    message: str | None = None
    type: str | None = None


class _Chunk(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    choices: list[_Choice] | None = None
    usage: ChatUsage | None = None
    error: _Error | str | None = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode


class _ToolState:
    __slots__ = ("call_id", "key", "name", "pending", "started")

    def __init__(self, key: int, call_id: str) -> None:
        self.key = key
        self.call_id = call_id
        self.name = ""
        self.started = False
        self.pending: list[str] = []


class ChatDecoder(SseDecoder):
    """Decodes `chat.completion.chunk` events; only choice 0 is translated.

    A tool call starts once its name is known (argument fragments seen earlier are held);
    a new id at an index already in use starts a new call, for providers that number every
    call 0; a delta without an index continues the latest call unless it brings a new id.
    """

    __slots__ = ("_calls", "_last", "_started", "_tools")

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._started = False
        self._calls = 0
        self._last: int | None = None
        self._tools: dict[int, _ToolState] = {}

    def handle(self, name: str | None, data: str) -> None:
        sink = self.sink
        if data == "[DONE]":
            sink.end()
            return
        chunk = _decode_chunk(data)
        if chunk.error is not None:
            if isinstance(chunk.error, str):
                sink.error(chunk.error)
            else:
                sink.error(chunk.error.message or "upstream error", chunk.error.type or "api_error")
            return
        if not self._started:
            self._started = True
            sink.start(chunk.id, chunk.model)
        for choice in chunk.choices or ():
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta is not None:
                reasoning = delta.reasoning_content or delta.reasoning
                if reasoning:
                    sink.thinking(reasoning)
                if delta.content:
                    sink.text(delta.content)
                if delta.refusal:
                    sink.text(delta.refusal)
                if delta.tool_calls:
                    for call in delta.tool_calls:
                        self._tool_call(call)
            if choice.finish_reason:
                sink.finish(openai_to_anthropic(choice.finish_reason))
        if chunk.usage is not None:
            sink.report_usage(usage_from_chat(chunk.usage))

    def _tool_call(self, call: _ToolCallDelta) -> None:
        index = call.index
        if index is None:
            last = self._last
            if last is not None and (not call.id or call.id == self._tools[last].call_id):
                index = last
            else:
                index = max(self._tools, default=-1) + 1
        self._last = index
        state = self._tools.get(index)
        if state is None or (call.id and state.call_id and call.id != state.call_id):
            state = _ToolState(self._calls, call.id or "")
            self._calls += 1
            self._tools[index] = state
        elif call.id and not state.call_id:
            state.call_id = call.id
        function = call.function
        if function is not None and function.name and not state.started:
            state.name += function.name
        sink = self.sink
        if not state.started and state.name:
            state.started = True
            sink.tool_start(state.key, state.call_id or f"call_{state.key}", state.name)
            for fragment in state.pending:
                sink.tool_args(state.key, fragment)
            state.pending.clear()
        if function is not None and function.arguments:
            if state.started:
                sink.tool_args(state.key, function.arguments)
            else:
                state.pending.append(function.arguments)
