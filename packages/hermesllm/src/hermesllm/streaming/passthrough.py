"""Same-API streams: forward the upstream bytes untouched while reading usage and first token."""

from __future__ import annotations

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.streaming.encode_anthropic import anthropic_error_event
from hermesllm.streaming.encode_chat import chat_error_event
from hermesllm.streaming.encode_responses import responses_error_event
from hermesllm.streaming.metering import StreamMeter
from hermesllm.usage import Usage

__all__ = ["PassthroughStream"]

_INCOMPLETE = "upstream stream ended before the response was complete"
MAX_HELD_BYTES = 1 << 20
"""An unfinished event larger than this is forwarded as it comes rather than held back."""


def _complete_events_end(data: bytes) -> int:
    """Length of the prefix of `data` that ends at an SSE event boundary (0 when none)."""
    if data.endswith(b"\n\n"):
        return len(data)
    lf = data.rfind(b"\n\n")
    cr = data.rfind(b"\r\r")
    crlf = data.rfind(b"\n\r\n")
    return max(lf + 2 if lf >= 0 else 0, cr + 2 if cr >= 0 else 0, crlf + 3 if crlf >= 0 else 0)


class PassthroughStream:
    """Returns the upstream bytes unchanged, whole events only: bytes after the last event
    boundary wait for the next chunk (up to MAX_HELD_BYTES), so a stream cut mid-event never
    reaches the client as a truncated event. A `StreamMeter` reads the metrics off a copy."""

    __slots__ = ("_client", "_held", "_meter", "_mid_event", "done")

    def __init__(self, client: ClientApi, upstream: UpstreamApi) -> None:
        self._client = client
        self._meter = StreamMeter(upstream)
        self._held = b""
        self._mid_event = False
        self.done = False

    @property
    def usage(self) -> Usage | None:
        """The usage the upstream reported so far, or None."""
        return self._meter.usage

    @property
    def estimated_output_tokens(self) -> int:
        """Output tokens estimated from the generated characters (for when `usage` is None)."""
        return self._meter.estimated_output_tokens

    @property
    def first_token_seen(self) -> bool:
        """True once text, reasoning or a tool call went by."""
        return self._meter.first_token_seen

    def feed(self, chunk: bytes) -> bytes:
        """Forward `chunk` unchanged up to its last complete event."""
        if not chunk:
            return chunk
        if not self.done:
            meter = self._meter
            meter.feed(chunk)
            self.done = meter.ended
        data = self._held + chunk if self._held else chunk
        end = _complete_events_end(data)
        if end == len(data):
            self._held = b""
            self._mid_event = False
            return data
        held = data[end:]
        if len(held) > MAX_HELD_BYTES:
            self._held = b""
            self._mid_event = True
            return data
        self._held = held
        self._mid_event = False
        return data[:end]

    def finish(self) -> bytes:
        """Upstream EOF: close with the client's error event if the stream was incomplete.

        A chat stream that reported its finish_reason is complete even without `[DONE]`.
        """
        if not self.done:
            meter = self._meter
            meter.close()
            self.done = meter.ended or (
                self._client is ClientApi.CHAT and meter.stop_reason is not None
            )
        return self.fail(_INCOMPLETE)

    def fail(self, message: str) -> bytes:
        """Append the client's error event unless the stream already ended. An event held
        back is sent (terminated) when the stream had ended, else dropped as incomplete."""
        held, self._held = self._held, b""
        if self.done:
            return held + b"\n\n" if held.strip() else b""
        self.done = True
        separator = b"\n\n" if self._mid_event else b""
        if self._client is ClientApi.CHAT:
            return separator + chat_error_event(message)
        if self._client is ClientApi.MESSAGES:
            return separator + anthropic_error_event(message)
        return separator + responses_error_event(message)
