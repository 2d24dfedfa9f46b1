"""The neutral stream event model shared by every upstream decoder and client encoder.

An upstream decoder reads one provider's wire format and calls the methods of a
`ClientEncoder`; the encoder renders them in one client API's wire format. Each decoder works
with each encoder, so every (upstream, client) pair is a decoder plus an encoder.

Event meanings:

- `start(upstream_id, model)`: the upstream's response id and model, when it reports them.
- `text(delta)`, `thinking(delta)`, `signature(signature)`: assistant text, reasoning text and
  the reasoning block's signature.
- `tool_start(key, call_id, name)` then `tool_args(key, fragment)`: one tool call; `key` is any
  integer the decoder uses to tell concurrent tool calls apart.
- `finish(stop_reason)`: why generation stopped, in Anthropic's vocabulary (end_turn,
  max_tokens, stop_sequence, tool_use, pause_turn, refusal).
- `report_usage(usage)`: the token counts so far (each report replaces the previous one).
- `end()`: the upstream declared the response complete.
- `error(message, error_type)`: the upstream failed mid-stream.

After `end()` or `error()` the encoder is closed and ignores every further event.

The base class keeps the stream's metrics, the same for every encoder: `first_token_seen`
(text, reasoning or a tool call went by), `output_chars` (generated characters: text,
reasoning, tool names and arguments), `usage` and `stop_reason`; subclasses only render.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from hermesllm.usage import Usage

__all__ = ["ClientEncoder"]


class ClientEncoder(ABC):
    """Receives neutral events, keeps the stream's metrics and appends client wire bytes to `out`.

    Content events (`text`, `thinking`, `tool_start`, `tool_args`) are accounted here and then
    rendered by the subclass's `_render_*` method; empty deltas and events after the stream
    closed are dropped before either.
    """

    __slots__ = ("closed", "first_token_seen", "out", "output_chars", "stop_reason", "usage")

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.closed = False
        self.first_token_seen = False
        self.output_chars = 0
        self.stop_reason: str | None = None
        self.usage: Usage | None = None

    def take(self) -> bytes:
        """Return and forget the bytes rendered since the last call."""
        out = self.out
        if not out:
            return b""
        data = b"".join(out)
        out.clear()
        return data

    def finish(self, stop_reason: str) -> None:
        """Record why generation stopped; it is rendered when the stream ends."""
        self.stop_reason = stop_reason

    def report_usage(self, usage: Usage) -> None:
        """Record the latest token counts."""
        self.usage = usage

    def text(self, delta: str) -> None:
        """Append assistant text."""
        if delta and not self.closed:
            self.first_token_seen = True
            self.output_chars += len(delta)
            self._render_text(delta)

    def thinking(self, delta: str) -> None:
        """Append reasoning text."""
        if delta and not self.closed:
            self.first_token_seen = True
            self.output_chars += len(delta)
            self._render_thinking(delta)

    def tool_start(self, key: int, call_id: str, name: str) -> None:
        """Begin a tool call."""
        if not self.closed:
            self.first_token_seen = True
            self.output_chars += len(name)
            self._render_tool_start(key, call_id, name)

    def tool_args(self, key: int, fragment: str) -> None:
        """Append a fragment of a started tool call's JSON arguments."""
        if fragment and not self.closed:
            self.output_chars += len(fragment)
            self._render_tool_args(key, fragment)

    @abstractmethod
    def start(self, upstream_id: str | None, model: str | None) -> None:
        """Open the client stream (idempotent)."""

    @abstractmethod
    def signature(self, signature: str) -> None:
        """Attach a signature to the current reasoning block."""

    @abstractmethod
    def end(self) -> None:
        """Close the client stream normally."""

    @abstractmethod
    def error(self, message: str, error_type: str = "api_error") -> None:
        """Render the client's error event and close the stream."""

    @abstractmethod
    def _render_text(self, delta: str) -> None:
        """Render a non-empty text delta."""

    @abstractmethod
    def _render_thinking(self, delta: str) -> None:
        """Render a non-empty reasoning delta."""

    @abstractmethod
    def _render_tool_start(self, key: int, call_id: str, name: str) -> None:
        """Render the start of a tool call."""

    @abstractmethod
    def _render_tool_args(self, key: int, fragment: str) -> None:
        """Render a non-empty argument fragment (dropped when `key` was never started)."""
