"""Upstream decoder: Gemini `streamGenerateContent?alt=sse`, one response object per event."""

from __future__ import annotations

import msgspec

from hermesllm.stop_reasons import gemini_to_anthropic
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import SseDecoder
from hermesllm.types.gemini import UsageMetadata
from hermesllm.usage_wire import usage_from_gemini

__all__ = ["GeminiDecoder"]


class _FunctionCall(msgspec.Struct):
    name: str = ""
    args: msgspec.Raw = msgspec.Raw(b"{}")
    id: str | None = None


class _Part(msgspec.Struct):
    text: str | None = None
    thought: bool = False
    thoughtSignature: str | None = None  # noqa: N815 - wire name
    functionCall: _FunctionCall | None = None  # noqa: N815 - wire name


class _Content(msgspec.Struct):
    parts: list[_Part] | None = None


class _Candidate(msgspec.Struct):
    index: int = 0
    content: _Content | None = None
    finishReason: str | None = None  # noqa: N815 - wire name


class _Error(msgspec.Struct):
    message: str | None = None
    status: str | None = None


class _Chunk(msgspec.Struct):
    candidates: list[_Candidate] | None = None
    usageMetadata: UsageMetadata | None = None  # noqa: N815 - wire name
    modelVersion: str | None = None  # noqa: N815 - wire name
    responseId: str | None = None  # noqa: N815 - wire name
    error: _Error | None = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode

_ERROR_TYPES = {
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "UNAVAILABLE": "overloaded_error",
    "INVALID_ARGUMENT": "invalid_request_error",
}


class GeminiDecoder(SseDecoder):
    """Decodes candidate 0 of each chunk; every functionCall part is one complete tool call.

    Gemini rarely numbers its calls; a call without an id gets one made of the response id and
    its position, so ids stay unique across the turns of a conversation.
    """

    __slots__ = ("_call_prefix", "_calls", "_started")

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._started = False
        self._calls = 0
        self._call_prefix = "call_"

    def handle(self, name: str | None, data: str) -> None:
        chunk = _decode_chunk(data)
        sink = self.sink
        if chunk.error is not None:
            error = chunk.error
            sink.error(
                error.message or "upstream error", _ERROR_TYPES.get(error.status or "", "api_error")
            )
            return
        if not self._started:
            self._started = True
            if chunk.responseId:
                self._call_prefix = f"call_{chunk.responseId}_"
            sink.start(chunk.responseId, chunk.modelVersion)
        for candidate in chunk.candidates or ():
            if candidate.index != 0:
                continue
            if candidate.content is not None:
                for part in candidate.content.parts or ():
                    self._part(part)
            if candidate.finishReason:
                reason = gemini_to_anthropic(candidate.finishReason, has_tool_calls=self._calls > 0)
                sink.finish(reason)
        if chunk.usageMetadata is not None:
            sink.report_usage(usage_from_gemini(chunk.usageMetadata))

    def _part(self, part: _Part) -> None:
        sink = self.sink
        call = part.functionCall
        if call is not None:
            key = self._calls
            self._calls += 1
            sink.tool_start(key, call.id or f"{self._call_prefix}{key}", call.name)
            sink.tool_args(key, bytes(call.args).decode())
        elif part.text:
            if part.thought:
                sink.thinking(part.text)
            else:
                sink.text(part.text)
        if part.thought and part.thoughtSignature:
            sink.signature(part.thoughtSignature)
