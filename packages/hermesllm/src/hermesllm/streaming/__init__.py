"""Stream translation between upstream and client APIs.

`new_stream_translator` returns a `StreamTranslator`: feed it upstream network chunks and
write what it returns to the client immediately. When the upstream speaks the client's own
API the bytes pass through untouched; otherwise an upstream decoder (Chat, Anthropic,
Bedrock, Gemini, Responses) drives a client encoder (Chat, Anthropic, Responses) through the
neutral event model of `hermesllm.streaming.events`. Either way the translator reports the
stream's metrics — `usage`, `first_token_seen`, `estimated_output_tokens` — by the one set of
per-API rules the decoders implement (see `hermesllm.streaming.metering`).
"""

from __future__ import annotations

import time
import uuid
from typing import Protocol

from hermesllm.apis import ClientApi, UpstreamApi, same_api
from hermesllm.streaming.decoders import new_decoder
from hermesllm.streaming.encode_anthropic import AnthropicEncoder
from hermesllm.streaming.encode_chat import ChatEncoder
from hermesllm.streaming.encode_responses import ResponsesEncoder
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.passthrough import PassthroughStream
from hermesllm.streaming.translator import TranslatingStream
from hermesllm.usage import Usage

__all__ = ["StreamTranslator", "new_stream_translator"]


class StreamTranslator(Protocol):
    """What the gateway drives: one instance per streamed response."""

    def feed(self, chunk: bytes) -> bytes:
        """Consume one upstream chunk; return the client bytes ready now (maybe b"")."""
        ...

    def finish(self) -> bytes:
        """Upstream EOF: close the client stream (with an error event if it was incomplete)."""
        ...

    def fail(self, message: str) -> bytes:
        """Transport error mid-stream: the client's error event, then a closed stream."""
        ...

    @property
    def usage(self) -> Usage | None:
        """Token counts reported by the upstream so far (None when it reported none)."""
        ...

    @property
    def estimated_output_tokens(self) -> int:
        """Output tokens estimated from the generated characters (text, reasoning, tool names
        and arguments; 4 characters a token), for when `usage` is None."""
        ...

    @property
    def first_token_seen(self) -> bool:
        """True once the first content token went by (for time-to-first-token)."""
        ...

    @property
    def done(self) -> bool:
        """True once the client stream is complete."""
        ...


def new_stream_translator(
    upstream: UpstreamApi,
    client: ClientApi,
    *,
    model: str,
    include_usage: bool = False,
    fallback_id: str | None = None,
    created: int | None = None,
) -> StreamTranslator:
    """A translator from `upstream`'s stream format to `client`'s.

    `model` is reported to the client when the upstream stream names no model. Ids are derived
    from the upstream's response id; `fallback_id` (random when None) stands in when it sends
    none (Bedrock). `created` (default: now) is the Unix time put in chat chunks and responses.
    `include_usage` adds the chat usage chunk (`stream_options.include_usage`).
    """
    if same_api(client, upstream):
        return PassthroughStream(client, upstream)
    base = fallback_id or uuid.uuid4().hex
    timestamp = int(time.time()) if created is None else created
    encoder: ClientEncoder
    if client is ClientApi.CHAT:
        encoder = ChatEncoder(
            model=model, fallback_id=base, created=timestamp, include_usage=include_usage
        )
    elif client is ClientApi.MESSAGES:
        encoder = AnthropicEncoder(model=model, fallback_id=base)
    else:
        encoder = ResponsesEncoder(model=model, fallback_id=base, created=timestamp)
    structured_output = client is not ClientApi.MESSAGES
    decoder = new_decoder(upstream, encoder, structured_output=structured_output)
    return TranslatingStream(decoder, encoder)
