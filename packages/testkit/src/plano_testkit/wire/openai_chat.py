"""OpenAI Chat Completions: `chat.completion` JSON and `chat.completion.chunk` SSE."""

from __future__ import annotations

from typing import Any

from plano_testkit.wire.base import Headers
from plano_testkit.wire.common import (
    Turn,
    WireApi,
    dumps,
    padding,
    split_fragments,
    sse,
    status_class_type,
)

__all__ = [
    "OPENAI_ERROR_CODES",
    "OPENAI_ERROR_TYPES",
    "SYSTEM_FINGERPRINT",
    "OpenAIChatWire",
    "openai_error_body",
    "openai_usage",
]

OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}
OPENAI_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}
SYSTEM_FINGERPRINT = "fp_fake"


def openai_usage(turn: Turn) -> dict[str, Any]:
    """Chat Completions usage object."""
    usage = turn.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def openai_error_body(status: int, message: str, error_type: str | None) -> bytes:
    """The OpenAI error envelope: {"error": {message, type, param, code}}."""
    kind = error_type or status_class_type(
        status, OPENAI_ERROR_TYPES, "server_error", "invalid_request_error"
    )
    return dumps(
        {
            "error": {
                "message": message,
                "type": kind,
                "param": None,
                "code": OPENAI_ERROR_CODES.get(status),
            }
        }
    )


class OpenAIChatWire:
    """OpenAI Chat Completions, streaming and not."""

    api = WireApi.CHAT
    tool_id_prefix = "call_"
    response_id_prefix = "chatcmpl-fake"
    stream_content_type = "text/event-stream; charset=utf-8"

    def json_body(self, turn: Turn) -> bytes:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": turn.text if turn.text or not turn.tool_calls else None,
            "refusal": None,
            "annotations": [],
        }
        if turn.thinking:
            message["reasoning_content"] = turn.thinking
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json},
                }
                for call in turn.tool_calls
            ]
        return dumps(
            {
                "id": turn.response_id,
                "object": "chat.completion",
                "created": turn.created,
                "model": turn.model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": turn.finish_reason,
                    }
                ],
                "usage": openai_usage(turn),
                "service_tier": "default",
                "system_fingerprint": SYSTEM_FINGERPRINT,
            }
        )

    def stream_events(self, turn: Turn) -> list[bytes]:
        events: list[bytes] = []

        def envelope(**fields: Any) -> bytes:
            chunk = {
                "id": turn.response_id,
                "object": "chat.completion.chunk",
                "created": turn.created,
                "model": turn.model,
                "service_tier": "default",
                "system_fingerprint": SYSTEM_FINGERPRINT,
                **fields,
            }
            if turn.include_obfuscation:
                chunk["obfuscation"] = padding(len(events))
            return sse(chunk)

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            usage: dict[str, Any] = {"usage": None} if turn.include_usage else {}
            return envelope(choices=[choice], **usage)

        events.append(chunk({"role": "assistant", "content": "", "refusal": None}))
        events.extend(chunk({"reasoning_content": piece}) for piece in turn.thinking_deltas)
        events.extend(chunk({"content": piece}) for piece in turn.text_deltas)
        for index, call in enumerate(turn.tool_calls):
            events.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call.id,
                                "type": "function",
                                "function": {"name": call.name, "arguments": ""},
                            }
                        ]
                    }
                )
            )
            events.extend(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
                for fragment in split_fragments(call.arguments_json)
            )
        events.append(chunk({}, turn.finish_reason))
        if turn.include_usage:
            events.append(envelope(choices=[], usage=openai_usage(turn)))
        events.append(sse(b"[DONE]"))
        return events

    def stream_error(
        self, turn: Turn, message: str, error_type: str | None, position: int
    ) -> bytes:
        return sse(openai_error_body(500, message, error_type))

    def error_response(
        self, status: int, message: str, error_type: str | None, *, request_id: str = ""
    ) -> tuple[bytes, Headers]:
        return openai_error_body(status, message, error_type), []
