"""OpenAI Responses: the `response` object JSON and its SSE event lifecycle."""

from __future__ import annotations

from typing import Any

from plano_testkit.wire.base import Headers
from plano_testkit.wire.common import Turn, WireApi, dumps, padding, split_fragments, sse
from plano_testkit.wire.openai_chat import openai_error_body

__all__ = ["INCOMPLETE_REASONS", "OpenAIResponsesWire"]

INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}


def _status(turn: Turn) -> str:
    return "incomplete" if turn.finish_reason in INCOMPLETE_REASONS else "completed"


def _usage(turn: Turn) -> dict[str, Any]:
    usage = turn.usage
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_input_tokens,
            "cache_write_tokens": usage.cache_creation_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _suffix(turn: Turn) -> str:
    return turn.response_id.removeprefix("resp_")


def _reasoning_item(turn: Turn) -> dict[str, Any]:
    return {
        "id": f"rs_{_suffix(turn)}",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": turn.thinking or ""}],
    }


def _message_item(turn: Turn, status: str, text: str | None) -> dict[str, Any]:
    content = [] if text is None else [_text_part(text)]
    return {
        "id": f"msg_{_suffix(turn)}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _call_item(turn: Turn, index: int, status: str, arguments: str) -> dict[str, Any]:
    call = turn.tool_calls[index]
    return {
        "id": f"fc_{_suffix(turn)}_{index}",
        "type": "function_call",
        "status": status,
        "arguments": arguments,
        "call_id": call.id,
        "name": call.name,
    }


def _has_message(turn: Turn) -> bool:
    return bool(turn.text) or not turn.tool_calls


def _output(turn: Turn) -> list[dict[str, Any]]:
    output: list[dict[str, Any]] = []
    if turn.thinking:
        output.append(_reasoning_item(turn))
    if _has_message(turn):
        output.append(_message_item(turn, "completed", turn.text))
    output.extend(
        _call_item(turn, index, "completed", call.arguments_json)
        for index, call in enumerate(turn.tool_calls)
    )
    return output


def _response(
    turn: Turn, status: str, output: list[dict[str, Any]], *, final: bool
) -> dict[str, Any]:
    reason = INCOMPLETE_REASONS.get(turn.finish_reason) if final else None
    return {
        "id": turn.response_id,
        "object": "response",
        "created_at": turn.created,
        "status": status,
        "background": False,
        "completed_at": turn.created if final else None,
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": turn.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": None,
        "reasoning": {"effort": None, "summary": None},
        "safety_identifier": None,
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _usage(turn) if final else None,
        "user": None,
        "metadata": {},
    }


class _EventLog:
    """Collects Responses stream events, numbering them with `sequence_number`."""

    def __init__(self, *, obfuscate: bool) -> None:
        self.events: list[bytes] = []
        self.obfuscate = obfuscate

    def add(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, "sequence_number": len(self.events), **fields}
        self.events.append(sse(payload, kind))

    def add_delta(self, kind: str, **fields: Any) -> None:
        """A delta event, padded with `obfuscation` unless the request turned it off."""
        if self.obfuscate:
            fields["obfuscation"] = padding(len(self.events))
        self.add(kind, **fields)


class OpenAIResponsesWire:
    """OpenAI Responses, streaming and not."""

    api = WireApi.RESPONSES
    tool_id_prefix = "call_"
    response_id_prefix = "resp_fake"
    stream_content_type = "text/event-stream; charset=utf-8"

    def json_body(self, turn: Turn) -> bytes:
        return dumps(_response(turn, _status(turn), _output(turn), final=True))

    def stream_events(self, turn: Turn) -> list[bytes]:
        log = _EventLog(obfuscate=turn.include_obfuscation)
        log.add("response.created", response=_response(turn, "in_progress", [], final=False))
        log.add("response.in_progress", response=_response(turn, "in_progress", [], final=False))
        index = 0
        if turn.thinking:
            _reasoning_events(log, turn, index)
            index += 1
        if _has_message(turn):
            _message_events(log, turn, index)
            index += 1
        for call_index in range(len(turn.tool_calls)):
            _call_events(log, turn, index, call_index)
            index += 1
        status = _status(turn)
        final = _response(turn, status, _output(turn), final=True)
        log.add(f"response.{status}", response=final)
        return log.events

    def stream_error(
        self, turn: Turn, message: str, error_type: str | None, position: int
    ) -> bytes:
        payload = {
            "type": "error",
            "code": error_type or "server_error",
            "message": message,
            "param": None,
            "sequence_number": position,
        }
        return sse(payload, "error")

    def error_response(
        self, status: int, message: str, error_type: str | None, *, request_id: str = ""
    ) -> tuple[bytes, Headers]:
        return openai_error_body(status, message, error_type), []


def _reasoning_events(log: _EventLog, turn: Turn, index: int) -> None:
    item = _reasoning_item(turn)
    item_id = item["id"]
    text = turn.thinking or ""
    log.add("response.output_item.added", output_index=index, item={**item, "summary": []})
    where = {"item_id": item_id, "output_index": index, "summary_index": 0}
    log.add(
        "response.reasoning_summary_part.added", **where, part={"type": "summary_text", "text": ""}
    )
    for piece in turn.thinking_deltas:
        log.add_delta("response.reasoning_summary_text.delta", **where, delta=piece)
    log.add("response.reasoning_summary_text.done", **where, text=text)
    log.add(
        "response.reasoning_summary_part.done", **where, part={"type": "summary_text", "text": text}
    )
    log.add("response.output_item.done", output_index=index, item=item)


def _message_events(log: _EventLog, turn: Turn, index: int) -> None:
    item_id = f"msg_{_suffix(turn)}"
    log.add(
        "response.output_item.added",
        output_index=index,
        item=_message_item(turn, "in_progress", None),
    )
    where = {"item_id": item_id, "output_index": index, "content_index": 0}
    log.add("response.content_part.added", **where, part=_text_part(""))
    for piece in turn.text_deltas:
        log.add_delta("response.output_text.delta", **where, delta=piece, logprobs=[])
    log.add("response.output_text.done", **where, text=turn.text, logprobs=[])
    log.add("response.content_part.done", **where, part=_text_part(turn.text))
    log.add(
        "response.output_item.done",
        output_index=index,
        item=_message_item(turn, "completed", turn.text),
    )


def _call_events(log: _EventLog, turn: Turn, index: int, call_index: int) -> None:
    call = turn.tool_calls[call_index]
    added = _call_item(turn, call_index, "in_progress", "")
    log.add("response.output_item.added", output_index=index, item=added)
    for fragment in split_fragments(call.arguments_json):
        log.add_delta(
            "response.function_call_arguments.delta",
            item_id=added["id"],
            output_index=index,
            delta=fragment,
        )
    log.add(
        "response.function_call_arguments.done",
        item_id=added["id"],
        output_index=index,
        name=call.name,
        arguments=call.arguments_json,
    )
    log.add(
        "response.output_item.done",
        output_index=index,
        item=_call_item(turn, call_index, "completed", call.arguments_json),
    )
