"""Client encoder: OpenAI chat completion chunks (`data: {json}` lines, then `data: [DONE]`)."""

from __future__ import annotations

import msgspec

from hermesllm.ids import id_base
from hermesllm.stop_reasons import anthropic_to_openai
from hermesllm.streaming.events import ClientEncoder
from hermesllm.usage import Usage
from hermesllm.usage_wire import chat_usage

__all__ = ["ChatEncoder", "chat_error_event"]

_enc = msgspec.json.encode

_OPEN_TAIL = b',"logprobs":null,"finish_reason":null}]}\n\n'
_ROLE = b'{"role":"assistant","content":""}'
_DONE = b"data: [DONE]\n\n"


def chat_error_event(message: str, error_type: str = "api_error") -> bytes:
    """An error chunk the OpenAI SDKs raise `APIError` on, followed by `[DONE]`."""
    body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
    return b"data: " + _enc(body) + b"\n\n" + _DONE


class ChatEncoder(ClientEncoder):
    """Renders neutral events as `chat.completion.chunk` objects."""

    __slots__ = (
        "_created",
        "_fallback_id",
        "_head",
        "_include_usage",
        "_model",
        "_no_arguments",
        "_tools",
    )

    def __init__(self, *, model: str, fallback_id: str, created: int, include_usage: bool) -> None:
        super().__init__()
        self._model = model
        self._fallback_id = fallback_id
        self._created = created
        self._include_usage = include_usage
        self._head = b""
        self._tools: dict[int, int] = {}
        self._no_arguments: set[int] = set()

    def start(self, upstream_id: str | None, model: str | None) -> None:
        if self._head or self.closed:
            return
        chunk_id = "chatcmpl-" + id_base(upstream_id, self._fallback_id)
        self._model = model or self._model
        self._head = b"".join(
            (
                b'data: {"id":',
                _enc(chunk_id),
                b',"object":"chat.completion.chunk","created":',
                str(self._created).encode(),
                b',"model":',
                _enc(self._model),
                b',"choices":[{"index":0,"delta":',
            )
        )
        self.out.append(self._head + _ROLE + _OPEN_TAIL)

    def _delta(self, delta: bytes) -> None:
        if not self._head:
            self.start(None, None)
        self.out.append(self._head + delta + _OPEN_TAIL)

    def _render_text(self, delta: str) -> None:
        self._delta(b'{"content":' + _enc(delta) + b"}")

    def _render_thinking(self, delta: str) -> None:
        self._delta(b'{"reasoning_content":' + _enc(delta) + b"}")

    def signature(self, signature: str) -> None:
        """Chat completions have no place for a reasoning signature; it is dropped."""

    def _render_tool_start(self, key: int, call_id: str, name: str) -> None:
        index = len(self._tools)
        self._tools[key] = index
        self._no_arguments.add(index)
        self._delta(
            b'{"tool_calls":[{"index":%d,"id":%b,"type":"function","function":{"name":%b,'
            b'"arguments":""}}]}' % (index, _enc(call_id), _enc(name))
        )

    def _render_tool_args(self, key: int, fragment: str) -> None:
        index = self._tools.get(key)
        if index is None:
            return
        self._no_arguments.discard(index)
        self._delta(
            b'{"tool_calls":[{"index":%d,"function":{"arguments":%b}}]}' % (index, _enc(fragment))
        )

    def end(self) -> None:
        if self.closed:
            return
        if not self._head:
            self.start(None, None)
        for index in sorted(self._no_arguments):
            self._delta(b'{"tool_calls":[{"index":%d,"function":{"arguments":"{}"}}]}' % index)
        self.closed = True
        reason = anthropic_to_openai(self.stop_reason)
        out = self.out
        out.append(self._head + b'{},"logprobs":null,"finish_reason":' + _enc(reason) + b"}]}\n\n")
        if self._include_usage:
            usage = chat_usage(self.usage or Usage())
            head = self._head[: self._head.index(b',"choices":')]
            out.append(head + b',"choices":[],"usage":' + _enc(usage) + b"}\n\n")
        out.append(_DONE)

    def error(self, message: str, error_type: str = "api_error") -> None:
        if self.closed:
            return
        self.closed = True
        self.out.append(chat_error_event(message, error_type))
