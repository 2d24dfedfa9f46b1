"""What the fake upstream answers: one provider-agnostic script per request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hermesllm.usage import Usage

__all__ = ["FINISH_REASONS", "Reply", "ToolCall"]

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter")


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """A tool call the model makes. `arguments` is a JSON object or its JSON text.

    Without an `id`, each provider gets an id in its own style (call_…, toolu_…, tooluse_…).
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        """The arguments as JSON text."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"))

    @property
    def arguments_object(self) -> Any:
        """The arguments as a decoded JSON value."""
        if isinstance(self.arguments, str):
            return json.loads(self.arguments) if self.arguments else {}
        return dict(self.arguments)


@dataclass(frozen=True, kw_only=True)
class Reply:
    """How the fake answers one request, in any of the wire formats.

    Content
      text: reply text; None = echo mode (see `plano_testkit.echo`), "" = no text block.
      thinking, thinking_signature: a reasoning block (signature generated when None).
      tool_calls: the tool calls, in order (parallel when several).
      finish_reason: OpenAI vocabulary (stop, length, tool_calls, content_filter), mapped per
        provider; default tool_calls when there are tool calls, else stop.
      usage: token counts; default estimated from the request and reply sizes. `input_tokens` is
        the whole prompt; Anthropic and Bedrock report it without the cached and cache-written
        tokens, as those providers do.
      model: the model reported; default the requested model.

    Errors
      status: 400 or more answers with the provider's error body carrying `error_message`
        (`error_type` when given, else the provider's type for that status).
      body: replaces the whole response body verbatim (any status, with `content_type`).
      error_after_events: send N stream events, then the provider's mid-stream error event
        (`error_message`, `error_type`), then end the stream properly.

    Transport
      first_byte_delay: seconds before the status line.
      chunk_gap: seconds between writes (stream events, or pieces when re-chunked).
      chunk_size: re-chunk the outgoing body into pieces of this many bytes, one write each.
      cut_after_events: close the connection after N stream events (a JSON body is one event).
      cut_after_bytes: close the connection after N body bytes.
      headers: extra response headers.
    """

    text: str | None = None
    thinking: str | None = None
    thinking_signature: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    status: int = 200
    error_message: str | None = None
    error_type: str | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    first_byte_delay: float = 0.0
    chunk_gap: float = 0.0
    chunk_size: int | None = None
    cut_after_events: int | None = None
    cut_after_bytes: int | None = None
    error_after_events: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.finish_reason is not None and self.finish_reason not in FINISH_REASONS:
            raise ValueError(f"finish_reason must be one of {FINISH_REASONS}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")

    @classmethod
    def error(
        cls, status: int, message: str, *, error_type: str | None = None, **kwargs: Any
    ) -> Reply:
        """A provider-shaped error response with this status and message."""
        return cls(status=status, error_message=message, error_type=error_type, **kwargs)

    @property
    def cuts(self) -> bool:
        """True when the fake closes the connection before the body is complete."""
        return self.cut_after_events is not None or self.cut_after_bytes is not None

    @property
    def is_error(self) -> bool:
        """True when the response is an HTTP error."""
        return self.status >= 400

    @property
    def effective_finish_reason(self) -> str:
        """The finish reason in OpenAI vocabulary, defaulted from the content."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"
