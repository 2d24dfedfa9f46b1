"""The upstream decoder for each upstream API."""

from __future__ import annotations

from hermesllm.apis import UpstreamApi
from hermesllm.streaming.decode_anthropic import AnthropicDecoder
from hermesllm.streaming.decode_bedrock import BedrockDecoder
from hermesllm.streaming.decode_chat import ChatDecoder
from hermesllm.streaming.decode_gemini import GeminiDecoder
from hermesllm.streaming.decode_responses import ResponsesDecoder
from hermesllm.streaming.events import ClientEncoder
from hermesllm.streaming.sse_decoder import UpstreamDecoder

__all__ = ["new_decoder"]

_DECODERS: dict[UpstreamApi, type[UpstreamDecoder]] = {
    UpstreamApi.CHAT: ChatDecoder,
    UpstreamApi.MESSAGES: AnthropicDecoder,
    UpstreamApi.RESPONSES: ResponsesDecoder,
    UpstreamApi.BEDROCK_CONVERSE: BedrockDecoder,
    UpstreamApi.GEMINI: GeminiDecoder,
}


def new_decoder(
    upstream: UpstreamApi,
    sink: ClientEncoder,
    *,
    lenient: bool = False,
    structured_output: bool = False,
) -> UpstreamDecoder:
    """A decoder of `upstream`'s stream format driving `sink`; `structured_output` streams
    Bedrock's structured-output tool as text (see `BedrockDecoder`)."""
    if upstream is UpstreamApi.BEDROCK_CONVERSE:
        return BedrockDecoder(sink, lenient=lenient, structured_output=structured_output)
    return _DECODERS[upstream](sink, lenient=lenient)
