"""Stream metrics for the gateway: time to first token, usage, output-token estimate.

A thin public layer over `hermesllm.streaming.metering`, where the rules live (the upstream
decoders that the stream translators use, so a metered stream and a translated one count
alike):

- `StreamMeter(upstream)`: feed it an upstream stream's raw bytes (SSE, or Bedrock
  event-stream frames) as they arrive; read `first_token_seen`, `usage` (as reported, None
  when the upstream reported none), `output_chars`, `estimated_output_tokens`, `stop_reason`
  and `ended`. It never raises.
- `estimate_output_tokens(chars)`: the estimate used when the upstream reports no usage.

A `StreamTranslator` (`hermesllm.streaming.new_stream_translator`) reports the same metrics
itself; a `StreamMeter` is for streams the caller reads without a translator.
"""

from __future__ import annotations

from hermesllm.streaming.metering import CHARS_PER_TOKEN, StreamMeter, estimate_output_tokens

__all__ = ["CHARS_PER_TOKEN", "StreamMeter", "estimate_output_tokens"]
