"""Amazon Bedrock Converse JSON and ConverseStream binary event-stream frames."""

from __future__ import annotations

from typing import Any

from plano_testkit.eventstream import encode_frame
from plano_testkit.wire.base import Headers
from plano_testkit.wire.common import (
    Turn,
    WireApi,
    dumps,
    padding,
    split_fragments,
    status_class_type,
    uncached_input_tokens,
)

__all__ = [
    "ERROR_TYPES",
    "ERROR_TYPE_SUFFIX",
    "LATENCY_MS",
    "MID_STREAM_ERROR_TYPE",
    "STOP_REASONS",
    "BedrockWire",
]

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
}
ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
MID_STREAM_ERROR_TYPE = "modelStreamErrorException"
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
LATENCY_MS = 42


def _usage(turn: Turn, *, streaming: bool = False) -> dict[str, Any]:
    usage = turn.usage
    body: dict[str, Any] = {
        "inputTokens": uncached_input_tokens(usage),
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.total_tokens,
    }
    if usage.cached_input_tokens:
        body["cacheReadInputTokens"] = usage.cached_input_tokens
    if usage.cache_creation_tokens:
        body["cacheWriteInputTokens"] = usage.cache_creation_tokens
    if streaming:
        body["serverToolUsage"] = {}
    return body


def _has_text(turn: Turn) -> bool:
    return bool(turn.text) or not turn.tool_calls


def _event_frame(event_type: str, payload: dict[str, Any], position: int) -> bytes:
    padded = {**payload, "p": padding(position)}
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_frame(headers, dumps(padded))


class BedrockWire:
    """Bedrock Converse (JSON) and ConverseStream (event-stream frames)."""

    api = WireApi.BEDROCK
    tool_id_prefix = "tooluse_fake"
    response_id_prefix = "bedrock-fake"
    stream_content_type = "application/vnd.amazon.eventstream"

    def json_body(self, turn: Turn) -> bytes:
        content: list[dict[str, Any]] = []
        if turn.thinking:
            content.append(
                {
                    "reasoningContent": {
                        "reasoningText": {
                            "text": turn.thinking,
                            "signature": turn.thinking_signature,
                        }
                    }
                }
            )
        if _has_text(turn):
            content.append({"text": turn.text})
        content.extend(
            {"toolUse": {"toolUseId": call.id, "name": call.name, "input": call.arguments}}
            for call in turn.tool_calls
        )
        return dumps(
            {
                "metrics": {"latencyMs": LATENCY_MS},
                "output": {"message": {"content": content, "role": "assistant"}},
                "stopReason": STOP_REASONS[turn.finish_reason],
                "usage": _usage(turn),
            }
        )

    def stream_events(self, turn: Turn) -> list[bytes]:
        payloads: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
        index = 0

        def delta(body: dict[str, Any]) -> None:
            payloads.append(("contentBlockDelta", {"contentBlockIndex": index, "delta": body}))

        def stop() -> None:
            nonlocal index
            payloads.append(("contentBlockStop", {"contentBlockIndex": index}))
            index += 1

        if turn.thinking:
            for piece in turn.thinking_deltas:
                delta({"reasoningContent": {"text": piece}})
            delta({"reasoningContent": {"signature": turn.thinking_signature}})
            stop()
        if _has_text(turn):
            for piece in turn.text_deltas:
                delta({"text": piece})
            stop()
        for call in turn.tool_calls:
            start = {"toolUse": {"name": call.name, "toolUseId": call.id}}
            payloads.append(("contentBlockStart", {"contentBlockIndex": index, "start": start}))
            for fragment in split_fragments(call.arguments_json):
                delta({"toolUse": {"input": fragment}})
            stop()
        payloads.append(("messageStop", {"stopReason": STOP_REASONS[turn.finish_reason]}))
        metadata = {"metrics": {"latencyMs": LATENCY_MS}, "usage": _usage(turn, streaming=True)}
        payloads.append(("metadata", metadata))
        return [_event_frame(kind, body, n) for n, (kind, body) in enumerate(payloads)]

    def stream_error(
        self, turn: Turn, message: str, error_type: str | None, position: int
    ) -> bytes:
        headers = {
            ":exception-type": error_type or MID_STREAM_ERROR_TYPE,
            ":content-type": "application/json",
            ":message-type": "exception",
        }
        return encode_frame(headers, dumps({"message": message}))

    def error_response(
        self, status: int, message: str, error_type: str | None, *, request_id: str = ""
    ) -> tuple[bytes, Headers]:
        kind = error_type or status_class_type(
            status, ERROR_TYPES, "InternalServerException", "ValidationException"
        )
        return dumps({"message": message}), [("x-amzn-errortype", kind + ERROR_TYPE_SUFFIX)]
