"""A translating stream: one upstream decoder driving one client encoder."""

from __future__ import annotations

import msgspec

from hermesllm.errors import HermesError
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.metering import estimate_output_tokens
from hermesllm.streaming.sse_decoder import UpstreamDecoder
from hermesllm.usage import Usage

__all__ = ["TranslatingStream"]

_INCOMPLETE = "upstream stream ended before the response was complete"


class TranslatingStream:
    """Feeds network chunks to the decoder and returns the client bytes they produced."""

    __slots__ = ("_decoder", "_encoder")

    def __init__(self, decoder: UpstreamDecoder, encoder: ClientEncoder) -> None:
        self._decoder = decoder
        self._encoder = encoder

    @property
    def usage(self) -> Usage | None:
        """The latest token counts the upstream reported."""
        return self._encoder.usage

    @property
    def estimated_output_tokens(self) -> int:
        """Output tokens estimated from the generated characters (for when `usage` is None)."""
        return estimate_output_tokens(self._encoder.output_chars)

    @property
    def first_token_seen(self) -> bool:
        """True once text, reasoning or a tool call has been produced."""
        return self._encoder.first_token_seen

    @property
    def done(self) -> bool:
        """True once the client stream is closed (normally or with an error event)."""
        return self._encoder.closed

    def feed(self, chunk: bytes) -> bytes:
        """Consume one upstream chunk; return the client bytes ready now (maybe b"")."""
        encoder = self._encoder
        if encoder.closed or not chunk:
            return b""
        try:
            self._decoder.feed(chunk)
        except (HermesError, msgspec.MsgspecError) as exc:
            encoder.error(f"malformed upstream stream: {exc}")
        return encoder.take()

    def finish(self) -> bytes:
        """Upstream EOF: finalize if a stop reason was seen, else close with an error event."""
        encoder = self._encoder
        if not encoder.closed:
            try:
                self._decoder.close()
            except (HermesError, msgspec.MsgspecError):
                encoder.error(_INCOMPLETE)
            if encoder.stop_reason is not None:
                encoder.end()
            else:
                encoder.error(_INCOMPLETE)
        return encoder.take()

    def fail(self, message: str) -> bytes:
        """Transport failure mid-stream: close the client stream with an error event."""
        self._encoder.error(message)
        return self._encoder.take()
