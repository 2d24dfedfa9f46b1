"""Upstream decoder: Amazon Bedrock ConverseStream (AWS event-stream binary frames)."""

from __future__ import annotations

import msgspec

from hermesllm.eventstream import EventStreamDecoder, Frame
from hermesllm.stop_reasons import bedrock_to_anthropic
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import UpstreamDecoder
from hermesllm.types.bedrock import ConverseUsage
from hermesllm.usage_wire import usage_from_bedrock

__all__ = ["BedrockDecoder"]


class _ToolUseStart(msgspec.Struct):
    toolUseId: str = ""  # noqa: N815 - wire name
    name: str = ""


class _Start(msgspec.Struct):
    toolUse: _ToolUseStart | None = None  # noqa: N815 - wire name


class _ToolUseDelta(msgspec.Struct):
    input: str = ""


class _ReasoningDelta(msgspec.Struct):
    text: str | None = None
    signature: str | None = None


class _Delta(msgspec.Struct):
    text: str | None = None
    toolUse: _ToolUseDelta | None = None  # noqa: N815 - wire name
    reasoningContent: _ReasoningDelta | None = None  # noqa: N815 - wire name


class _Event(msgspec.Struct):
    contentBlockIndex: int = 0  # noqa: N815 - wire name
    start: _Start | None = None
    delta: _Delta | None = None
    stopReason: str | None = None  # noqa: N815 - wire name
    usage: ConverseUsage | None = None


class _Exception(msgspec.Struct):
    message: str | None = None
    Message: str | None = None


_ERROR_TYPES = {
    "throttlingException": "rate_limit_error",
    "serviceUnavailableException": "overloaded_error",
    "validationException": "invalid_request_error",
}

_decode_event = msgspec.json.Decoder(_Event).decode
_decode_exception = msgspec.json.Decoder(_Exception).decode


def _exception_message(frame: Frame) -> str:
    kind = frame.exception_type or frame.error_code or "exception"
    text = frame.error_message
    if text is None:
        try:
            body = _decode_exception(frame.payload)
        except msgspec.MsgspecError:
            body = _Exception(message=frame.payload.decode("utf-8", "replace"))
        text = body.message or body.Message or ""
    return f"{kind}: {text}" if text else kind


class BedrockDecoder(UpstreamDecoder):
    """Decodes messageStart … messageStop + metadata frames; exception frames become errors."""

    __slots__ = ("_frames",)

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._frames = EventStreamDecoder()

    def feed(self, chunk: bytes) -> None:
        for frame in self._frames.feed(chunk):
            try:
                self._frame(frame)
            except msgspec.MsgspecError:
                if not self.lenient:
                    raise

    def close(self) -> None:
        """Frames are only handled when complete; a partial one at EOF is dropped."""

    def _frame(self, frame: Frame) -> None:
        sink = self.sink
        if frame.message_type != "event":
            error_type = _ERROR_TYPES.get(frame.exception_type or "", "api_error")
            sink.error(_exception_message(frame), error_type)
            return
        kind = frame.event_type
        event = _decode_event(frame.payload)
        if kind == "contentBlockDelta":
            delta = event.delta
            if delta is None:
                return
            if delta.text is not None:
                sink.text(delta.text)
            elif delta.toolUse is not None:
                sink.tool_args(event.contentBlockIndex, delta.toolUse.input)
            elif delta.reasoningContent is not None:
                reasoning = delta.reasoningContent
                if reasoning.text:
                    sink.thinking(reasoning.text)
                if reasoning.signature:
                    sink.signature(reasoning.signature)
        elif kind == "contentBlockStart":
            tool = event.start.toolUse if event.start is not None else None
            if tool is not None:
                sink.tool_start(event.contentBlockIndex, tool.toolUseId, tool.name)
        elif kind == "messageStart":
            sink.start(None, None)
        elif kind == "messageStop":
            sink.finish(bedrock_to_anthropic(event.stopReason))
        elif kind == "metadata":
            if event.usage is not None:
                sink.report_usage(usage_from_bedrock(event.usage))
            sink.end()
