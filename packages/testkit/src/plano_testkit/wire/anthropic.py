"""Anthropic Messages: the `message` JSON and its SSE events."""

from __future__ import annotations

from typing import Any

from plano_testkit.wire.base import Headers
from plano_testkit.wire.common import (
    Turn,
    WireApi,
    dumps,
    split_fragments,
    sse,
    status_class_type,
    uncached_input_tokens,
)

__all__ = [
    "ERROR_TYPES",
    "MID_STREAM_ERROR_TYPE",
    "NO_SERVER_TOOL_USE",
    "STOP_REASONS",
    "AnthropicWire",
    "anthropic_error_body",
]

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
MID_STREAM_ERROR_TYPE = "overloaded_error"
NO_SERVER_TOOL_USE = {"web_search_requests": 0, "web_fetch_requests": 0}


def _usage(turn: Turn, *, output_tokens: int) -> dict[str, Any]:
    usage = turn.usage
    return {
        "input_tokens": uncached_input_tokens(usage),
        "cache_creation_input_tokens": usage.cache_creation_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_creation_tokens,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _message(turn: Turn, content: list[dict[str, Any]], *, final: bool) -> dict[str, Any]:
    return {
        "id": turn.response_id,
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": content,
        "stop_reason": STOP_REASONS[turn.finish_reason] if final else None,
        "stop_sequence": None,
        "usage": _usage(turn, output_tokens=turn.usage.output_tokens if final else 1),
    }


def _has_text(turn: Turn) -> bool:
    return bool(turn.text) or not turn.tool_calls


def _content(turn: Turn) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if turn.thinking:
        blocks.append(
            {"type": "thinking", "thinking": turn.thinking, "signature": turn.thinking_signature}
        )
    if _has_text(turn):
        blocks.append({"type": "text", "text": turn.text})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in turn.tool_calls
    )
    return blocks


def anthropic_error_body(
    status: int, message: str, error_type: str | None, request_id: str = ""
) -> bytes:
    """The Anthropic error envelope: {"type": "error", "error": {type, message}, "request_id"}."""
    kind = error_type or status_class_type(
        status, ERROR_TYPES, "api_error", "invalid_request_error"
    )
    body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    if request_id:
        body["request_id"] = request_id
    return dumps(body)


class AnthropicWire:
    """Anthropic Messages, streaming and not."""

    api = WireApi.MESSAGES
    tool_id_prefix = "toolu_fake"
    response_id_prefix = "msg_fake"
    stream_content_type = "text/event-stream; charset=utf-8"

    def json_body(self, turn: Turn) -> bytes:
        return dumps(_message(turn, _content(turn), final=True))

    def stream_events(self, turn: Turn) -> list[bytes]:
        events = [
            sse(
                {"type": "message_start", "message": _message(turn, [], final=False)},
                "message_start",
            )
        ]
        index = 0

        def block(start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
            nonlocal index
            events.append(
                sse(
                    {"type": "content_block_start", "index": index, "content_block": start},
                    "content_block_start",
                )
            )
            if index == 0:
                events.append(sse({"type": "ping"}, "ping"))
            events.extend(
                sse(
                    {"type": "content_block_delta", "index": index, "delta": delta},
                    "content_block_delta",
                )
                for delta in deltas
            )
            events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
            index += 1

        if turn.thinking:
            block(
                {"type": "thinking", "thinking": "", "signature": ""},
                [{"type": "thinking_delta", "thinking": piece} for piece in turn.thinking_deltas]
                + [{"type": "signature_delta", "signature": turn.thinking_signature}],
            )
        if _has_text(turn):
            block(
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": piece} for piece in turn.text_deltas],
            )
        for call in turn.tool_calls:
            block(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": {}},
                [{"type": "input_json_delta", "partial_json": ""}]
                + [
                    {"type": "input_json_delta", "partial_json": fragment}
                    for fragment in split_fragments(call.arguments_json)
                ],
            )
        usage = turn.usage
        events.append(
            sse(
                {
                    "type": "message_delta",
                    "delta": {
                        "stop_reason": STOP_REASONS[turn.finish_reason],
                        "stop_sequence": None,
                    },
                    "usage": {
                        "input_tokens": uncached_input_tokens(usage),
                        "cache_creation_input_tokens": usage.cache_creation_tokens,
                        "cache_read_input_tokens": usage.cached_input_tokens,
                        "output_tokens": usage.output_tokens,
                        "server_tool_use": NO_SERVER_TOOL_USE,
                    },
                },
                "message_delta",
            )
        )
        events.append(sse({"type": "message_stop"}, "message_stop"))
        return events

    def stream_error(
        self, turn: Turn, message: str, error_type: str | None, position: int
    ) -> bytes:
        body = {
            "type": "error",
            "error": {"type": error_type or MID_STREAM_ERROR_TYPE, "message": message},
        }
        return sse(body, "error")

    def error_response(
        self, status: int, message: str, error_type: str | None, *, request_id: str = ""
    ) -> tuple[bytes, Headers]:
        return anthropic_error_body(status, message, error_type, request_id), []
