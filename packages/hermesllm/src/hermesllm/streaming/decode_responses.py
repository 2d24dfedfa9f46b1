"""Upstream decoder: OpenAI Responses stream events."""

from __future__ import annotations

import msgspec

from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import SseDecoder
from hermesllm.types.openai_responses import ResponseUsage
from hermesllm.usage_wire import usage_from_responses

__all__ = ["ResponsesDecoder"]


class _Reason(msgspec.Struct):
    reason: str | None = None


class _Error(msgspec.Struct):
    code: str | None = None
    message: str | None = None


class _Response(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    status: str | None = None
    usage: ResponseUsage | None = None
    incomplete_details: _Reason | None = None
    error: _Error | None = None


class _Item(msgspec.Struct):
    type: str = ""
    id: str | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None


class _Event(msgspec.Struct):
    type: str = ""
    output_index: int = 0
    delta: str | None = None
    item: _Item | None = None
    response: _Response | None = None
    message: str | None = None
    code: str | None = None


_decode_event = msgspec.json.Decoder(_Event).decode

_TEXT_DELTAS = frozenset({"response.output_text.delta", "response.refusal.delta"})
_REASONING_DELTAS = frozenset(
    {"response.reasoning_summary_text.delta", "response.reasoning_text.delta"}
)


class ResponsesDecoder(SseDecoder):
    """Decodes the Responses lifecycle; output indexes key the function calls."""

    __slots__ = ("_streamed_args", "_tools")

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._tools: set[int] = set()
        self._streamed_args: set[int] = set()

    def handle(self, name: str | None, data: str) -> None:
        event = _decode_event(data)
        kind = event.type
        sink = self.sink
        if kind in _TEXT_DELTAS:
            sink.text(event.delta or "")
        elif kind == "response.function_call_arguments.delta":
            self._streamed_args.add(event.output_index)
            sink.tool_args(event.output_index, event.delta or "")
        elif kind in _REASONING_DELTAS:
            sink.thinking(event.delta or "")
        elif kind == "response.output_item.added":
            item = event.item
            if item is not None and item.type == "function_call":
                self._tools.add(event.output_index)
                call_id = item.call_id or item.id or f"call_{event.output_index}"
                sink.tool_start(event.output_index, call_id, item.name or "")
        elif kind == "response.output_item.done":
            item = event.item
            index = event.output_index
            if item is not None and index in self._tools and index not in self._streamed_args:
                sink.tool_args(index, item.arguments or "")
        elif kind == "response.created":
            response = event.response or _Response()
            sink.start(response.id, response.model)
        elif kind in ("response.completed", "response.incomplete"):
            self._complete(event.response or _Response())
        elif kind == "response.failed":
            response = event.response or _Response()
            if response.usage is not None:
                sink.report_usage(usage_from_responses(response.usage))
            error = response.error or _Error()
            sink.error(error.message or "upstream response failed")
        elif kind == "error":
            sink.error(event.message or "upstream error")

    def _complete(self, response: _Response) -> None:
        sink = self.sink
        if response.usage is not None:
            sink.report_usage(usage_from_responses(response.usage))
        if response.status == "incomplete":
            reason = response.incomplete_details.reason if response.incomplete_details else None
            sink.finish("refusal" if reason == "content_filter" else "max_tokens")
        else:
            sink.finish("tool_use" if self._tools else "end_turn")
        sink.end()
