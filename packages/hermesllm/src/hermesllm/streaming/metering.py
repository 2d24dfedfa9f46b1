"""Metrics of an upstream stream: first token, reported usage, output-token estimate.

`StreamMeter` reads an upstream stream's raw bytes with the same decoders the translators use,
so time to first token and usage follow one set of per-API rules whether a stream is translated
or passed through. What counts:

- first token: the first text, reasoning or tool-call event (a tool call counts from its start,
  its name being generated output);
- usage: as the upstream reports it (`hermesllm.usage.Usage`: `input_tokens` is the whole
  prompt, cache reads and writes included; `output_tokens` includes reasoning); Anthropic's
  split report (message_start, then message_delta) is merged;
- output characters: text, reasoning, tool names and argument fragments, from which
  `estimate_output_tokens` gives an output-token count when the upstream reports no usage.
"""

from __future__ import annotations

from hermesllm.apis import UpstreamApi
from hermesllm.errors import HermesError
from hermesllm.streaming.decoders import new_decoder
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import UpstreamDecoder
from hermesllm.usage import Usage

__all__ = ["CHARS_PER_TOKEN", "MeteringSink", "StreamMeter", "estimate_output_tokens"]

CHARS_PER_TOKEN = 4
"""Characters per token assumed by `estimate_output_tokens` (the usual rule for English text)."""


def estimate_output_tokens(chars: int) -> int:
    """Estimated tokens for `chars` generated characters: one token per 4 characters, rounded
    up (0 for no text). Meant for when the upstream reports no usage."""
    if chars <= 0:
        return 0
    return -(-chars // CHARS_PER_TOKEN)


class MeteringSink(ClientEncoder):
    """A `ClientEncoder` that keeps the metrics and renders nothing."""

    __slots__ = ()

    def start(self, upstream_id: str | None, model: str | None) -> None:
        """Nothing to open."""

    def signature(self, signature: str) -> None:
        """Signatures are not generated output."""

    def end(self) -> None:
        self.closed = True

    def error(self, message: str, error_type: str = "api_error") -> None:
        self.closed = True

    def _render_text(self, delta: str) -> None:
        """Nothing to render."""

    def _render_thinking(self, delta: str) -> None:
        """Nothing to render."""

    def _render_tool_start(self, key: int, call_id: str, name: str) -> None:
        """Nothing to render."""

    def _render_tool_args(self, key: int, fragment: str) -> None:
        """Nothing to render."""


class StreamMeter:
    """Reads the metrics off one upstream stream, fed as the network delivers it.

    Malformed events are skipped; a stream that cannot be framed any further (an SSE event
    over the buffer bound, a corrupt event-stream frame) stops being read, keeping what was
    measured so far. Nothing here raises.
    """

    __slots__ = ("_decoder", "_sink")

    def __init__(self, upstream: UpstreamApi) -> None:
        self._sink = MeteringSink()
        self._decoder: UpstreamDecoder | None = new_decoder(upstream, self._sink, lenient=True)

    def feed(self, chunk: bytes) -> None:
        """Read one network chunk (nothing more is read once the stream ended)."""
        decoder = self._decoder
        if decoder is None or self._sink.closed:
            return
        try:
            decoder.feed(chunk)
        except HermesError:
            self._decoder = None

    def close(self) -> None:
        """Upstream EOF: read the last event if it lacked its terminating blank line."""
        decoder = self._decoder
        self._decoder = None
        if decoder is not None and not self._sink.closed:
            decoder.close()

    @property
    def first_token_seen(self) -> bool:
        """True once text, reasoning or a tool call went by."""
        return self._sink.first_token_seen

    @property
    def usage(self) -> Usage | None:
        """The usage the upstream reported so far, or None."""
        return self._sink.usage

    @property
    def output_chars(self) -> int:
        """Generated characters so far: text, reasoning, tool names and arguments."""
        return self._sink.output_chars

    @property
    def estimated_output_tokens(self) -> int:
        """`estimate_output_tokens(output_chars)`: for when the upstream reports no usage."""
        return estimate_output_tokens(self._sink.output_chars)

    @property
    def stop_reason(self) -> str | None:
        """Why generation stopped (Anthropic vocabulary), once the upstream said so."""
        return self._sink.stop_reason

    @property
    def ended(self) -> bool:
        """True once the upstream declared the stream complete or failed, in-band."""
        return self._sink.closed
