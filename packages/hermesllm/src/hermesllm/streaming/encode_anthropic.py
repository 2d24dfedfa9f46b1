"""Client encoder: Anthropic Messages stream events (`event: <type>` + `data: {json}`).

Envelope: one `message_start`, a `content_block_start`/`content_block_stop` pair per block
(text, thinking and each tool call get their own index), deltas of the block's type, one
`message_delta` with the stop reason and usage, one `message_stop`, nothing after it.
"""

from __future__ import annotations

import msgspec

from hermesllm.ids import id_base
from hermesllm.streaming.events import ClientEncoder
from hermesllm.usage import Usage
from hermesllm.usage_wire import anthropic_usage

__all__ = ["AnthropicEncoder", "anthropic_error_event"]

_enc = msgspec.json.encode

_TEXT_START = (
    b'event: content_block_start\ndata: {"type":"content_block_start","index":%d,'
    b'"content_block":{"type":"text","text":""}}\n\n'
)
_THINKING_START = (
    b'event: content_block_start\ndata: {"type":"content_block_start","index":%d,'
    b'"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n'
)
_TOOL_START = (
    b'event: content_block_start\ndata: {"type":"content_block_start","index":%d,'
    b'"content_block":{"type":"tool_use","id":%b,"name":%b,"input":{}}}\n\n'
)
_DELTA_HEAD = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,'
_TEXT_DELTA = _DELTA_HEAD + b'"delta":{"type":"text_delta","text":%b}}\n\n'
_THINKING_DELTA = _DELTA_HEAD + b'"delta":{"type":"thinking_delta","thinking":%b}}\n\n'
_SIGNATURE_DELTA = _DELTA_HEAD + b'"delta":{"type":"signature_delta","signature":%b}}\n\n'
_JSON_DELTA = _DELTA_HEAD + b'"delta":{"type":"input_json_delta","partial_json":%b}}\n\n'
_BLOCK_STOP = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":%d}\n\n'
_MESSAGE_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'

_NO_BLOCK = 0
_TEXT = 1
_THINKING = 2
_TOOL = 3


def anthropic_error_event(message: str, error_type: str = "api_error") -> bytes:
    """An `error` event; the Anthropic SDKs raise an API error on it."""
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return b"event: error\ndata: " + _enc(body) + b"\n\n"


class AnthropicEncoder(ClientEncoder):
    """Renders neutral events as an Anthropic Messages stream."""

    __slots__ = (
        "_block",
        "_fallback_id",
        "_kind",
        "_model",
        "_next_index",
        "_signed",
        "_started",
        "_tools",
    )

    def __init__(self, *, model: str, fallback_id: str) -> None:
        super().__init__()
        self._model = model
        self._fallback_id = fallback_id
        self._started = False
        self._kind = _NO_BLOCK
        self._block = -1
        self._next_index = 0
        self._signed = False
        self._tools: dict[int, int] = {}

    def start(self, upstream_id: str | None, model: str | None) -> None:
        if self._started or self.closed:
            return
        self._started = True
        usage = anthropic_usage(self.usage or Usage())
        message: dict[str, object] = {
            "id": "msg_" + id_base(upstream_id, self._fallback_id),
            "type": "message",
            "role": "assistant",
            "model": model or self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        body = _enc({"type": "message_start", "message": message})
        self.out.append(b"event: message_start\ndata: " + body + b"\n\n")

    def _open(self, kind: int, start: bytes) -> int:
        if not self._started:
            self.start(None, None)
        if self._kind != _NO_BLOCK:
            self.out.append(_BLOCK_STOP % self._block)
        index = self._next_index
        self._next_index = index + 1
        self._kind = kind
        self._block = index
        self.out.append(start)
        return index

    def _render_text(self, delta: str) -> None:
        if self._kind != _TEXT:
            self._open(_TEXT, _TEXT_START % self._next_index)
        self.out.append(_TEXT_DELTA % (self._block, _enc(delta)))

    def _render_thinking(self, delta: str) -> None:
        if self._kind != _THINKING or self._signed:
            self._open(_THINKING, _THINKING_START % self._next_index)
            self._signed = False
        self.out.append(_THINKING_DELTA % (self._block, _enc(delta)))

    def signature(self, signature: str) -> None:
        if not signature or self.closed:
            return
        if self._kind != _THINKING or self._signed:
            self._open(_THINKING, _THINKING_START % self._next_index)
        self._signed = True
        self.out.append(_SIGNATURE_DELTA % (self._block, _enc(signature)))

    def _render_tool_start(self, key: int, call_id: str, name: str) -> None:
        index = self._open(_TOOL, _TOOL_START % (self._next_index, _enc(call_id), _enc(name)))
        self._tools[key] = index

    def _render_tool_args(self, key: int, fragment: str) -> None:
        """A fragment for an earlier, already closed call keeps that call's block index."""
        index = self._tools.get(key)
        if index is None:
            return
        self.out.append(_JSON_DELTA % (index, _enc(fragment)))

    def end(self) -> None:
        if self.closed:
            return
        if not self._started:
            self.start(None, None)
        self.closed = True
        out = self.out
        if self._kind != _NO_BLOCK:
            out.append(_BLOCK_STOP % self._block)
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": self.stop_reason or "end_turn", "stop_sequence": None},
            "usage": anthropic_usage(self.usage or Usage()),
        }
        out.append(b"event: message_delta\ndata: " + _enc(delta) + b"\n\n")
        out.append(_MESSAGE_STOP)

    def error(self, message: str, error_type: str = "api_error") -> None:
        if self.closed:
            return
        self.closed = True
        self.out.append(anthropic_error_event(message, error_type))
