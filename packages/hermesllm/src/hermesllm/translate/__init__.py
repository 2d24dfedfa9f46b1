"""Request and non-streaming response translation between the client and upstream APIs.

`prepare_upstream_request` turns a client request into the upstream request (pass-through when
the APIs match), `translate_response` turns the upstream's answer into the client's API,
`response_usage` reads the token usage of an upstream answer, and `translate_response_with_usage`
does both from one decode of the answer.
"""

from collections.abc import Callable
from typing import Any

import msgspec

from hermesllm.apis import ClientApi, UpstreamApi, same_api
from hermesllm.cache_control import inject_cache_breakpoints
from hermesllm.errors import RequestParseError, UnsupportedConversionError
from hermesllm.normalize import normalize_for_upstream
from hermesllm.provider_ids import ProviderId
from hermesllm.translate.anthropic_request import (
    conversation_to_messages,
    decode_messages_request,
    messages_to_conversation,
)
from hermesllm.translate.bedrock_request import conversation_to_bedrock
from hermesllm.translate.chat_request import (
    chat_to_conversation,
    conversation_to_chat,
    decode_chat_request,
)
from hermesllm.translate.conversation import Conversation, JsonObject, Reasoning, Text
from hermesllm.translate.gemini_request import conversation_to_gemini
from hermesllm.translate.reply import Reply
from hermesllm.translate.reply_from_upstream import REPLY_PARSERS, upstream_usage
from hermesllm.translate.reply_to_client import REPLY_RENDERERS
from hermesllm.translate.responses_request import (
    decode_responses_request,
    responses_to_conversation,
)
from hermesllm.translate.structured_output import reply_with_output_text
from hermesllm.usage import Usage

__all__ = [
    "parse_conversation",
    "prepare_upstream_request",
    "render_conversation",
    "response_output_text",
    "response_usage",
    "translate_response",
    "translate_response_with_usage",
]

_RENDERERS: dict[UpstreamApi, Callable[[Conversation], JsonObject]] = {
    UpstreamApi.CHAT: conversation_to_chat,
    UpstreamApi.MESSAGES: conversation_to_messages,
    UpstreamApi.BEDROCK_CONVERSE: conversation_to_bedrock,
    UpstreamApi.GEMINI: conversation_to_gemini,
}
_ENCODER = msgspec.json.Encoder()


def parse_conversation(body: bytes, client: ClientApi, model: str) -> Conversation:
    """Decode a client request into the API-neutral form (RequestParseError when malformed)."""
    if client is ClientApi.CHAT:
        return chat_to_conversation(decode_chat_request(body), model)
    if client is ClientApi.MESSAGES:
        return messages_to_conversation(decode_messages_request(body), model)
    return responses_to_conversation(decode_responses_request(body), model)


def render_conversation(conversation: Conversation, upstream: UpstreamApi) -> JsonObject:
    """Render the API-neutral form as an upstream request object."""
    renderer = _RENDERERS.get(upstream)
    if renderer is None:
        raise UnsupportedConversionError(
            "the OpenAI Responses API upstream can only serve Responses clients"
        )
    return renderer(conversation)


def _decode_object(body: bytes) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise RequestParseError(f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RequestParseError("request body must be a JSON object")
    return value


def prepare_upstream_request(
    body: bytes,
    client: ClientApi,
    upstream: UpstreamApi,
    *,
    provider: ProviderId,
    model: str,
    cache_min_prefix_tokens: int | None = None,
    decoded: dict[str, Any] | None = None,
) -> bytes:
    """The upstream request body for a client request.

    Same API: every field is kept and only `model` is rewritten. Different APIs: the request is
    translated (UnsupportedConversionError when it cannot be expressed). Then the provider's
    normalization is applied, and prompt-cache breakpoints when `cache_min_prefix_tokens` is
    given (opt-in: cache writes cost extra at some providers). One JSON decode, one encode.

    A caller that already decoded `body` into a dict may pass it as `decoded`: the same-API
    path then edits that dict in place instead of decoding again.
    """
    if same_api(client, upstream):
        request = decoded if decoded is not None else _decode_object(body)
        request["model"] = model
    else:
        conversation = parse_conversation(body, client, model)
        if upstream is UpstreamApi.BEDROCK_CONVERSE and client is ClientApi.MESSAGES:
            _refuse_output_config(conversation)
        request = render_conversation(conversation, upstream)
    normalize_for_upstream(request, provider, upstream, model)
    if cache_min_prefix_tokens is not None:
        inject_cache_breakpoints(
            request, provider, upstream, model, min_prefix_tokens=cache_min_prefix_tokens
        )
    return _ENCODER.encode(request)


def _refuse_output_config(conversation: Conversation) -> None:
    """Anthropic clients' structured output is not emulated on Bedrock (only Chat and
    Responses clients get the forced-tool emulation)."""
    if conversation.output_format is not None:
        raise UnsupportedConversionError(
            "Bedrock Converse has no JSON mode: output_config.format cannot be sent to an "
            "amazon_bedrock model from the Messages API (use Chat Completions or Responses, "
            "whose response_format / text.format is emulated with a forced tool)"
        )


def _client_reply(body: bytes, upstream: UpstreamApi, client: ClientApi, model: str) -> Reply:
    """The upstream reply as the client will see it (Bedrock structured output as text)."""
    reply = REPLY_PARSERS[upstream](body, model)
    if upstream is UpstreamApi.BEDROCK_CONVERSE and client is not ClientApi.MESSAGES:
        return reply_with_output_text(reply)
    return reply


def translate_response(
    body: bytes, upstream: UpstreamApi, client: ClientApi, *, model: str
) -> bytes:
    """A non-streaming upstream response in the client's API (unchanged when the APIs match).

    `model` names the model when the upstream response does not (Bedrock).
    ResponseParseError when the body does not match the upstream API.
    """
    if same_api(client, upstream):
        return body
    return _ENCODER.encode(REPLY_RENDERERS[client](_client_reply(body, upstream, client, model)))


def response_usage(body: bytes, upstream: UpstreamApi) -> Usage | None:
    """Token usage of a non-streaming upstream response, or None when it has none."""
    return upstream_usage(body, upstream)


def response_output_text(body: bytes, upstream: UpstreamApi) -> str:
    """All generated text of a non-streaming upstream response (text, reasoning, tool-call
    names and arguments), for counting output tokens when the upstream reports no usage.

    ResponseParseError when the body does not match the upstream API.
    """
    reply = REPLY_PARSERS[upstream](body, "")
    parts: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Text | Reasoning):
            parts.append(block.text)
        else:
            parts.append(block.name)
            parts.append(block.arguments or _ENCODER.encode(block.input).decode())
    return "\n".join(parts)


def translate_response_with_usage(
    body: bytes, upstream: UpstreamApi, client: ClientApi, *, model: str
) -> tuple[bytes, Usage | None]:
    """`translate_response` and `response_usage` together, decoding `body` once.

    ResponseParseError when a body that needs translating does not match the upstream API.
    """
    if same_api(client, upstream):
        return body, upstream_usage(body, upstream)
    reply = _client_reply(body, upstream, client, model)
    return _ENCODER.encode(REPLY_RENDERERS[client](reply)), reply.usage
