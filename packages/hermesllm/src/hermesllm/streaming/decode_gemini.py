"""Upstream decoder: Gemini `streamGenerateContent?alt=sse`, one response object per event."""

from __future__ import annotations

import msgspec

from hermesllm.stop_reasons import gemini_to_anthropic
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import SseDecoder
from hermesllm.usage import Usage

__all__ = ["GeminiDecoder", "GeminiUsage", "usage_from_gemini"]


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


class GeminiUsage(msgspec.Struct):
    """`usageMetadata` of a Gemini response."""

    promptTokenCount: int = 0  # noqa: N815 - wire name
    toolUsePromptTokenCount: int = 0  # noqa: N815 - wire name
    candidatesTokenCount: int = 0  # noqa: N815 - wire name
    thoughtsTokenCount: int = 0  # noqa: N815 - wire name
    cachedContentTokenCount: int = 0  # noqa: N815 - wire name


class _Error(msgspec.Struct):
    message: str | None = None
    status: str | None = None


class _Chunk(msgspec.Struct):
    candidates: list[_Candidate] | None = None
    usageMetadata: GeminiUsage | None = None  # noqa: N815 - wire name
    modelVersion: str | None = None  # noqa: N815 - wire name
    responseId: str | None = None  # noqa: N815 - wire name
    error: _Error | None = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode

_ERROR_TYPES = {
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "UNAVAILABLE": "overloaded_error",
    "INVALID_ARGUMENT": "invalid_request_error",
}


def usage_from_gemini(usage: GeminiUsage) -> Usage:
    """Gemini usage → neutral usage; output tokens include the thoughts."""
    return Usage(
        input_tokens=usage.promptTokenCount + usage.toolUsePromptTokenCount,
        output_tokens=usage.candidatesTokenCount + usage.thoughtsTokenCount,
        cached_input_tokens=usage.cachedContentTokenCount,
        reasoning_tokens=usage.thoughtsTokenCount,
    )


class GeminiDecoder(SseDecoder):
    """Decodes candidate 0 of each chunk; every functionCall part is one complete tool call."""

    __slots__ = ("_calls", "_started")

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._started = False
        self._calls = 0

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
            sink.tool_start(key, call.id or f"call_{key}", call.name)
            sink.tool_args(key, bytes(call.args).decode())
        elif part.text:
            if part.thought:
                sink.thinking(part.text)
            else:
                sink.text(part.text)
        if part.thought and part.thoughtSignature:
            sink.signature(part.thoughtSignature)
