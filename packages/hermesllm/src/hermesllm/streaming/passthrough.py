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


class PassthroughStream:
    """Returns every chunk as received; a `StreamMeter` reads the metrics off a copy."""

    __slots__ = ("_client", "_meter", "_tail", "done")

    def __init__(self, client: ClientApi, upstream: UpstreamApi) -> None:
        self._client = client
        self._meter = StreamMeter(upstream)
        self._tail = b"\n\n"
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
        """Forward `chunk` unchanged."""
        if not chunk:
            return chunk
        self._tail = (self._tail + chunk[-2:])[-2:]
        if not self.done:
            meter = self._meter
            meter.feed(chunk)
            self.done = meter.ended
        return chunk

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
        """Append the client's error event unless the stream already ended."""
        if self.done:
            return b""
        self.done = True
        separator = b"" if self._tail.endswith(b"\n\n") else b"\n\n"
        if self._client is ClientApi.CHAT:
            return separator + chat_error_event(message)
        if self._client is ClientApi.MESSAGES:
            return separator + anthropic_error_event(message)
        return separator + responses_error_event(message)
