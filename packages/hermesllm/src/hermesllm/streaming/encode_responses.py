"""Client encoder: OpenAI Responses stream events.

Lifecycle: response.created, response.in_progress, then per output item
response.output_item.added, its content/summary part added, deltas, the matching done events
and response.output_item.done; finally exactly one of response.completed,
response.incomplete or response.failed carrying the whole output and usage. Every event has
an increasing `sequence_number`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hermesllm.ids import id_base
from hermesllm.stop_reasons import anthropic_to_openai, openai_to_responses_status
from hermesllm.streaming.events import ClientEncoder
from hermesllm.usage import Usage
from hermesllm.usage_wire import responses_usage

__all__ = ["ResponsesEncoder", "responses_error_event"]

_enc = msgspec.json.encode

_TEXT_DELTA = (
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
    b'"sequence_number":%d,"item_id":%b,"output_index":%d,"content_index":0,"delta":%b,'
    b'"logprobs":[]}\n\n'
)
_ARGS_DELTA = (
    b"event: response.function_call_arguments.delta\n"
    b'data: {"type":"response.function_call_arguments.delta","sequence_number":%d,'
    b'"item_id":%b,"output_index":%d,"delta":%b}\n\n'
)
_SUMMARY_DELTA = (
    b"event: response.reasoning_summary_text.delta\n"
    b'data: {"type":"response.reasoning_summary_text.delta","sequence_number":%d,'
    b'"item_id":%b,"output_index":%d,"summary_index":0,"delta":%b}\n\n'
)

_MESSAGE = 1
_REASONING = 2
_FUNCTION_CALL = 3


def responses_error_event(message: str, code: str = "server_error") -> bytes:
    """A bare `error` event, for streams whose lifecycle this encoder did not render."""
    body = {"type": "error", "code": code, "message": message, "param": None}
    return b"event: error\ndata: " + _enc(body) + b"\n\n"


class _Item:
    """One output item being streamed."""

    __slots__ = ("call_id", "id", "id_json", "kind", "name", "output_index", "parts", "signature")

    def __init__(self, kind: int, item_id: str, output_index: int) -> None:
        self.kind = kind
        self.id = item_id
        self.id_json = _enc(item_id)
        self.output_index = output_index
        self.parts: list[str] = []
        self.call_id = ""
        self.name = ""
        self.signature = ""

    def text(self) -> str:
        """The streamed text; a function call that streamed no arguments has `{}`."""
        text = "".join(self.parts)
        if not text and self.kind == _FUNCTION_CALL:
            return "{}"
        return text

    def rendered(self, status: str) -> dict[str, Any]:
        """The item as it appears in output_item.added/done and in the final response."""
        text = "" if status == "in_progress" else self.text()
        if self.kind == _MESSAGE:
            content = [] if status == "in_progress" else [_output_text(text)]
            return {
                "id": self.id,
                "type": "message",
                "status": status,
                "role": "assistant",
                "content": content,
            }
        if self.kind == _FUNCTION_CALL:
            return {
                "id": self.id,
                "type": "function_call",
                "status": status,
                "arguments": text,
                "call_id": self.call_id,
                "name": self.name,
            }
        summary = [] if status == "in_progress" else [{"type": "summary_text", "text": text}]
        item: dict[str, Any] = {"id": self.id, "type": "reasoning", "summary": summary}
        if self.signature and status != "in_progress":
            item["encrypted_content"] = self.signature
        return item


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


class ResponsesEncoder(ClientEncoder):
    """Renders neutral events as a Responses API event stream."""

    __slots__ = (
        "_created",
        "_current",
        "_fallback_id",
        "_id",
        "_items",
        "_model",
        "_seq",
        "_started",
        "_tools",
    )

    def __init__(self, *, model: str, fallback_id: str, created: int) -> None:
        super().__init__()
        self._model = model
        self._fallback_id = fallback_id
        self._created = created
        self._started = False
        self._id = ""
        self._seq = 0
        self._items: list[_Item] = []
        self._current: _Item | None = None
        self._tools: dict[int, _Item] = {}

    def _event(self, event_type: str, body: dict[str, Any]) -> None:
        payload = {"type": event_type, "sequence_number": self._seq, **body}
        self._seq += 1
        self.out.append(b"event: " + event_type.encode() + b"\ndata: " + _enc(payload) + b"\n\n")

    def _response(self, status: str) -> dict[str, Any]:
        done = status != "in_progress"
        return {
            "id": self._id,
            "object": "response",
            "created_at": self._created,
            "status": status,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "model": self._model,
            "output": [item.rendered("completed") for item in self._items] if done else [],
            "parallel_tool_calls": True,
            "temperature": None,
            "tool_choice": "auto",
            "tools": [],
            "top_p": None,
            "usage": responses_usage(self.usage or Usage()) if done else None,
        }

    def start(self, upstream_id: str | None, model: str | None) -> None:
        if self._started or self.closed:
            return
        self._started = True
        self._id = "resp_" + id_base(upstream_id, self._fallback_id)
        self._model = model or self._model
        self._event("response.created", {"response": self._response("in_progress")})
        self._event("response.in_progress", {"response": self._response("in_progress")})

    def _open(self, kind: int, prefix: str) -> _Item:
        if not self._started:
            self.start(None, None)
        self._close_current()
        output_index = len(self._items)
        item = _Item(kind, f"{prefix}_{self._id[5:]}_{output_index}", output_index)
        self._items.append(item)
        self._current = item
        return item

    def _added(self, item: _Item) -> None:
        self._event(
            "response.output_item.added",
            {"output_index": item.output_index, "item": item.rendered("in_progress")},
        )

    def _close_current(self) -> None:
        item = self._current
        if item is None:
            return
        self._current = None
        where = {"item_id": item.id, "output_index": item.output_index}
        text = item.text()
        if item.kind == _MESSAGE:
            where["content_index"] = 0
            self._event("response.output_text.done", {**where, "text": text, "logprobs": []})
            self._event("response.content_part.done", {**where, "part": _output_text(text)})
        elif item.kind == _FUNCTION_CALL:
            self._event(
                "response.function_call_arguments.done",
                {**where, "name": item.name, "arguments": text},
            )
        else:
            where["summary_index"] = 0
            self._event("response.reasoning_summary_text.done", {**where, "text": text})
            self._event(
                "response.reasoning_summary_part.done",
                {**where, "part": {"type": "summary_text", "text": text}},
            )
        self._event(
            "response.output_item.done",
            {"output_index": item.output_index, "item": item.rendered("completed")},
        )

    def _render_text(self, delta: str) -> None:
        item = self._current
        if item is None or item.kind != _MESSAGE:
            item = self._open(_MESSAGE, "msg")
            self._added(item)
            self._event(
                "response.content_part.added",
                {
                    "item_id": item.id,
                    "output_index": item.output_index,
                    "content_index": 0,
                    "part": _output_text(""),
                },
            )
        item.parts.append(delta)
        self.out.append(_TEXT_DELTA % (self._seq, item.id_json, item.output_index, _enc(delta)))
        self._seq += 1

    def _reasoning_item(self) -> _Item:
        item = self._current
        if item is None or item.kind != _REASONING or item.signature:
            item = self._open(_REASONING, "rs")
            self._added(item)
            self._event(
                "response.reasoning_summary_part.added",
                {
                    "item_id": item.id,
                    "output_index": item.output_index,
                    "summary_index": 0,
                    "part": {"type": "summary_text", "text": ""},
                },
            )
        return item

    def _render_thinking(self, delta: str) -> None:
        item = self._reasoning_item()
        item.parts.append(delta)
        self.out.append(_SUMMARY_DELTA % (self._seq, item.id_json, item.output_index, _enc(delta)))
        self._seq += 1

    def signature(self, signature: str) -> None:
        """Kept as the reasoning item's `encrypted_content`, so a later turn can return it."""
        if signature and not self.closed:
            self._reasoning_item().signature = signature

    def _render_tool_start(self, key: int, call_id: str, name: str) -> None:
        item = self._open(_FUNCTION_CALL, "fc")
        item.call_id = call_id
        item.name = name
        self._tools[key] = item
        self._added(item)

    def _render_tool_args(self, key: int, fragment: str) -> None:
        item = self._tools.get(key)
        if item is None:
            return
        item.parts.append(fragment)
        self.out.append(_ARGS_DELTA % (self._seq, item.id_json, item.output_index, _enc(fragment)))
        self._seq += 1

    def _close_stream(self) -> bool:
        """Open the stream if needed, close the open item and the stream; False if closed."""
        if self.closed:
            return False
        if not self._started:
            self.start(None, None)
        self._close_current()
        self.closed = True
        return True

    def end(self) -> None:
        if not self._close_stream():
            return
        status, reason = openai_to_responses_status(anthropic_to_openai(self.stop_reason))
        response = self._response(status)
        if reason is not None:
            response["incomplete_details"] = {"reason": reason}
        self._event(f"response.{status}", {"response": response})

    def error(self, message: str, error_type: str = "api_error") -> None:
        if not self._close_stream():
            return
        response = self._response("failed")
        response["error"] = {"code": "server_error", "message": message}
        self._event("response.failed", {"response": response})
