"""Gemini `generateContent` JSON and `streamGenerateContent` (SSE with `alt=sse`)."""

from __future__ import annotations

from typing import Any

from plano_testkit.wire.base import Headers
from plano_testkit.wire.common import Turn, WireApi, dumps, sse, status_class_type

__all__ = [
    "CRLF",
    "ERROR_STATUSES",
    "FINISH_REASONS",
    "RATE_LIMIT_DETAILS",
    "GeminiWire",
    "gemini_error",
]

FINISH_REASONS = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "tool_calls": "STOP",
    "content_filter": "SAFETY",
}
ERROR_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
CRLF = b"\r\n"
RATE_LIMIT_DETAILS = [
    {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
            }
        ],
    },
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"},
]


def _usage(turn: Turn, *, final: bool = True) -> dict[str, Any]:
    """usageMetadata; stream chunks before the last one carry no candidatesTokenCount yet."""
    usage = turn.usage
    candidates = usage.output_tokens - usage.reasoning_tokens
    body: dict[str, Any] = {"promptTokenCount": usage.input_tokens}
    if final:
        body["candidatesTokenCount"] = candidates
    body["totalTokenCount"] = usage.total_tokens if final else usage.total_tokens - candidates
    body["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.input_tokens}]
    if usage.reasoning_tokens:
        body["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cached_input_tokens:
        body["cachedContentTokenCount"] = usage.cached_input_tokens
        body["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.cached_input_tokens}]
    return body


def _has_text(turn: Turn) -> bool:
    return bool(turn.text) or not turn.tool_calls


def _chunk(turn: Turn, parts: list[dict[str, Any]], finish: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = FINISH_REASONS[turn.finish_reason]
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(turn, final=finish),
        "modelVersion": turn.model,
        "responseId": turn.response_id,
    }


def _parts(turn: Turn) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if turn.thinking:
        parts.append({"text": turn.thinking, "thought": True})
    if _has_text(turn):
        parts.append({"text": turn.text})
    parts.extend(_call_parts(turn))
    return parts


def _call_parts(turn: Turn) -> list[dict[str, Any]]:
    """functionCall parts; the first carries the thought signature, as thinking models send."""
    parts: list[dict[str, Any]] = [
        {"functionCall": {"name": call.name, "args": call.arguments}} for call in turn.tool_calls
    ]
    if parts:
        parts[0]["thoughtSignature"] = turn.thinking_signature
    return parts


def _stream_chunks(turn: Turn) -> list[dict[str, Any]]:
    chunks = [
        _chunk(turn, [{"text": piece, "thought": True}], False) for piece in turn.thinking_deltas
    ]
    if _has_text(turn):
        chunks.extend(_chunk(turn, [{"text": piece}], False) for piece in turn.text_deltas)
    chunks.extend(_chunk(turn, [part], False) for part in _call_parts(turn))
    if chunks:
        chunks[-1] = _chunk(turn, chunks[-1]["candidates"][0]["content"]["parts"], True)
    else:
        chunks.append(_chunk(turn, [{"text": ""}], True))
    return chunks


def gemini_error(status: int, message: str, error_type: str | None) -> dict[str, Any]:
    """The Google API error envelope: {"error": {code, message, status}}; a 429 also carries
    `details` with the quota that ran out and a RetryInfo delay, as the Gemini API sends."""
    kind = error_type or status_class_type(status, ERROR_STATUSES, "INTERNAL", "INVALID_ARGUMENT")
    error: dict[str, Any] = {"code": status, "message": message, "status": kind}
    if status == 429:
        error["details"] = RATE_LIMIT_DETAILS
    return {"error": error}


class GeminiWire:
    """Gemini generateContent and streamGenerateContent?alt=sse (CRLF-delimited events)."""

    api = WireApi.GEMINI
    tool_id_prefix = "call_"
    response_id_prefix = "gemini-fake"
    stream_content_type = "text/event-stream"

    def json_body(self, turn: Turn) -> bytes:
        return dumps(_chunk(turn, _parts(turn), True))

    def stream_events(self, turn: Turn) -> list[bytes]:
        return [sse(chunk, newline=CRLF) for chunk in _stream_chunks(turn)]

    def array_events(self, turn: Turn) -> list[bytes]:
        """`streamGenerateContent` without `alt=sse`: one JSON array, streamed element by
        element."""
        chunks = [dumps(chunk) for chunk in _stream_chunks(turn)]
        return [b"[" + chunks[0], *(b",\r\n" + chunk for chunk in chunks[1:]), b"]"]

    def stream_error(
        self, turn: Turn, message: str, error_type: str | None, position: int
    ) -> bytes:
        return sse(gemini_error(500, message, error_type), newline=CRLF)

    def error_response(
        self, status: int, message: str, error_type: str | None, *, request_id: str = ""
    ) -> tuple[bytes, Headers]:
        return dumps(gemini_error(status, message, error_type)), []
