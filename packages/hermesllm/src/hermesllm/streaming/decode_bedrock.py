"""Upstream decoder: Amazon Bedrock ConverseStream (AWS event-stream binary frames).

With `structured_output` (Chat and Responses clients), a block of the structured-output tool
(`hermesllm.translate.structured_output`) streams as text: its input deltas become text
deltas, and a `tool_use` stop with no other tool call becomes `end_turn`.
"""

from __future__ import annotations

import msgspec

from hermesllm.eventstream import EventStreamDecoder, Frame
from hermesllm.stop_reasons import bedrock_to_anthropic
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import UpstreamDecoder
from hermesllm.translate.structured_output import OUTPUT_TOOL_NAME
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

    __slots__ = ("_called_tools", "_frames", "_output_blocks", "_structured_output")

    def __init__(
        self, sink: ClientEncoder, *, lenient: bool = False, structured_output: bool = False
    ) -> None:
        super().__init__(sink, lenient=lenient)
        self._frames = EventStreamDecoder()
        self._structured_output = structured_output
        self._output_blocks: set[int] = set()
        self._called_tools = False

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
                if event.contentBlockIndex in self._output_blocks:
                    sink.text(delta.toolUse.input)
                else:
                    sink.tool_args(event.contentBlockIndex, delta.toolUse.input)
            elif delta.reasoningContent is not None:
                reasoning = delta.reasoningContent
                if reasoning.text:
                    sink.thinking(reasoning.text)
                if reasoning.signature:
                    sink.signature(reasoning.signature)
        elif kind == "contentBlockStart":
            tool = event.start.toolUse if event.start is not None else None
            if tool is None:
                return
            if self._structured_output and tool.name == OUTPUT_TOOL_NAME:
                self._output_blocks.add(event.contentBlockIndex)
            else:
                self._called_tools = True
                sink.tool_start(event.contentBlockIndex, tool.toolUseId, tool.name)
        elif kind == "messageStart":
            sink.start(None, None)
        elif kind == "messageStop":
            stop = bedrock_to_anthropic(event.stopReason)
            if stop == "tool_use" and self._output_blocks and not self._called_tools:
                stop = "end_turn"
            sink.finish(stop)
        elif kind == "metadata":
            if event.usage is not None:
                sink.report_usage(usage_from_bedrock(event.usage))
            sink.end()
