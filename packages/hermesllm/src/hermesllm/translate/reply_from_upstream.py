"""Upstream non-streaming responses (every API) → `Reply`, and their usage.

The wire types leave every field optional, so each parser checks that the field holding the
answer is there (present and not null): an upstream 200 carrying something else (an error
object, another API's reply, ``{}``) raises `ReplyShapeError` instead of becoming an empty reply.
"""

import time
from collections.abc import Callable
from typing import TypeVar

import msgspec

from hermesllm import stop_reasons
from hermesllm.apis import UpstreamApi
from hermesllm.errors import ReplyShapeError, ResponseParseError
from hermesllm.ids import new_id
from hermesllm.translate.conversation import Reasoning, Text, ToolCall
from hermesllm.translate.reply import Reply, ReplyBlock
from hermesllm.types import anthropic as an
from hermesllm.types import bedrock as br
from hermesllm.types import gemini as gm
from hermesllm.types import openai_chat as chat
from hermesllm.types import openai_responses as rs
from hermesllm.usage import Usage
from hermesllm.usage_wire import (
    usage_from_anthropic,
    usage_from_bedrock,
    usage_from_chat,
    usage_from_gemini,
    usage_from_responses,
)

__all__ = [
    "REPLY_PARSERS",
    "T",
    "U",
    "from_anthropic",
    "from_bedrock",
    "from_chat",
    "from_gemini",
    "from_responses",
    "upstream_usage",
]

T = TypeVar("T")
U = TypeVar("U")

_CHAT = msgspec.json.Decoder(chat.ChatCompletion)
_ANTHROPIC = msgspec.json.Decoder(an.MessageResponse)
_RESPONSES = msgspec.json.Decoder(rs.Response)
_BEDROCK = msgspec.json.Decoder(br.ConverseResponse)
_GEMINI = msgspec.json.Decoder(gm.GenerateContentResponse)


class _AnyObject(msgspec.Struct):
    """Any JSON object (every field skipped)."""


_OBJECT = msgspec.json.Decoder(_AnyObject)


def _decode(decoder: msgspec.json.Decoder[T], body: bytes, api: str) -> T:
    try:
        return decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        problem = str(exc)
    try:
        _OBJECT.decode(body)
    except msgspec.DecodeError as exc:
        raise ReplyShapeError(f"not a JSON object ({exc})") from None
    raise ResponseParseError(f"invalid {api} response: {problem}")


def _no_answer(upstream: UpstreamApi, *fields: str) -> ReplyShapeError:
    names = "` or `".join(fields)
    return ReplyShapeError(f"not a reply of the {upstream.value} API (no `{names}` field)")


def _usage(read: Callable[[U], Usage], usage: U | None) -> Usage | None:
    return None if usage is None else read(usage)


def from_chat(body: bytes, model: str) -> Reply:
    """Parse a Chat completion."""
    completion = _decode(_CHAT, body, "chat completions")
    if completion.choices is None:
        raise _no_answer(UpstreamApi.CHAT, "choices")
    if not completion.choices:
        raise ResponseParseError("invalid chat completions response: no choices")
    choice = completion.choices[0]
    message = choice.message
    blocks: list[ReplyBlock] = []
    reasoning = message.reasoning_content or message.reasoning
    if reasoning:
        blocks.append(Reasoning(reasoning))
    if message.content:
        blocks.append(Text(message.content))
    blocks.extend(
        ToolCall(call.id, call.function.name, call.function.arguments)
        for call in message.tool_calls or ()
    )
    finish = choice.finish_reason or "stop"
    refused = message.refusal is not None and not message.content
    return Reply(
        id=completion.id or new_id(),
        model=completion.model or model,
        created=completion.created or int(time.time()),
        blocks=blocks,
        finish_reason=finish,
        stop_reason="refusal" if refused else stop_reasons.openai_to_anthropic(finish),
        usage=_usage(usage_from_chat, completion.usage),
        refusal=message.refusal,
    )


def from_anthropic(body: bytes, model: str) -> Reply:
    """Parse a Messages response (server-tool blocks are left out)."""
    message = _decode(_ANTHROPIC, body, "messages")
    if message.content is None:
        raise _no_answer(UpstreamApi.MESSAGES, "content")
    blocks: list[ReplyBlock] = []
    for block in message.content:
        if isinstance(block, an.TextBlock):
            blocks.append(Text(block.text))
        elif isinstance(block, an.ToolUseBlock):
            blocks.append(ToolCall(block.id, block.name, input=block.input))
        elif isinstance(block, an.ThinkingBlock):
            blocks.append(Reasoning(block.thinking, block.signature))
        elif isinstance(block, an.RedactedThinkingBlock):
            blocks.append(Reasoning(redacted=block.data))
    stop = message.stop_reason or "end_turn"
    return Reply(
        id=message.id or new_id(),
        model=message.model or model,
        created=int(time.time()),
        blocks=blocks,
        finish_reason=stop_reasons.anthropic_to_openai(stop),
        stop_reason=stop,
        usage=_usage(usage_from_anthropic, message.usage),
        stop_sequence=message.stop_sequence,
    )


def from_responses(body: bytes, model: str) -> Reply:
    """Parse a Responses response (hosted-tool output items are left out)."""
    response = _decode(_RESPONSES, body, "responses")
    if response.output is None:
        raise _no_answer(UpstreamApi.RESPONSES, "output")
    blocks: list[ReplyBlock] = []
    refusal: str | None = None
    for raw in response.output:
        kind = raw.get("type")
        try:
            if kind == "message":
                for part in msgspec.convert(raw, rs.OutputMessage).content:
                    if isinstance(part, rs.OutputText):
                        blocks.append(Text(part.text))
                    elif isinstance(part, rs.Refusal):
                        refusal = part.refusal
            elif kind == "function_call":
                call = msgspec.convert(raw, rs.FunctionCallItem)
                blocks.append(ToolCall(call.call_id, call.name, call.arguments))
            elif kind == "reasoning":
                item = msgspec.convert(raw, rs.ReasoningItem)
                texts = [p.text for p in item.content or ()] or [p.text for p in item.summary]
                blocks.append(Reasoning("\n\n".join(texts)))
        except msgspec.ValidationError as exc:
            raise ResponseParseError(f"invalid responses response: output item: {exc}") from None
    has_calls = any(isinstance(block, ToolCall) for block in blocks)
    reason = response.incomplete_details.reason if response.incomplete_details else None
    if response.status == "incomplete" and reason == "max_output_tokens":
        finish = "length"
    elif (response.status == "incomplete" and reason == "content_filter") or refusal:
        finish = "content_filter"
    else:
        finish = "tool_calls" if has_calls else "stop"
    return Reply(
        id=response.id or new_id(),
        model=response.model or model,
        created=int(response.created_at) or int(time.time()),
        blocks=blocks,
        finish_reason=finish,
        stop_reason=stop_reasons.openai_to_anthropic(finish),
        usage=_usage(usage_from_responses, response.usage),
        refusal=refusal,
    )


def from_bedrock(body: bytes, model: str) -> Reply:
    """Parse a Converse response; the id is new (`bedrock-…`), the model the request's."""
    response = _decode(_BEDROCK, body, "bedrock converse")
    if response.output is None:
        raise _no_answer(UpstreamApi.BEDROCK_CONVERSE, "output")
    blocks: list[ReplyBlock] = []
    message = response.output.message
    for block in message.content if message else ():
        if block.text is not None:
            blocks.append(Text(block.text))
        elif block.tool_use is not None:
            use = block.tool_use
            blocks.append(ToolCall(use.tool_use_id, use.name, input=use.input))
        elif block.reasoning_content is not None:
            content = block.reasoning_content
            if content.reasoning_text is not None:
                text = content.reasoning_text
                blocks.append(Reasoning(text.text, text.signature or ""))
            elif content.redacted_content is not None:
                blocks.append(Reasoning(redacted=content.redacted_content))
    return Reply(
        id=f"bedrock-{new_id()}",
        model=model,
        created=int(time.time()),
        blocks=blocks,
        finish_reason=stop_reasons.bedrock_to_openai(response.stop_reason),
        stop_reason=stop_reasons.bedrock_to_anthropic(response.stop_reason),
        usage=_usage(usage_from_bedrock, response.usage),
    )


def from_gemini(body: bytes, model: str) -> Reply:
    """Parse a generateContent response (first candidate); call ids are made when absent."""
    response = _decode(_GEMINI, body, "gemini")
    if response.candidates is None and response.prompt_feedback is None:
        raise _no_answer(UpstreamApi.GEMINI, "candidates", "promptFeedback")
    blocks: list[ReplyBlock] = []
    candidate = response.candidates[0] if response.candidates else None
    parts = candidate.content.parts if candidate and candidate.content else []
    for part in parts:
        if part.function_call is not None:
            call = part.function_call
            call_id = call.id or f"call_{new_id()[:24]}"
            blocks.append(ToolCall(call_id, call.name, input=call.args or {}))
        elif part.text is not None:
            if part.thought:
                blocks.append(Reasoning(part.text, part.thought_signature or ""))
            else:
                blocks.append(Text(part.text))
    has_calls = any(isinstance(block, ToolCall) for block in blocks)
    if candidate is None:
        blocked = response.prompt_feedback is not None and response.prompt_feedback.block_reason
        reason: str | None = "SAFETY" if blocked else None
    else:
        reason = candidate.finish_reason
    return Reply(
        id=response.response_id or new_id(),
        model=response.model_version or model,
        created=int(time.time()),
        blocks=blocks,
        finish_reason=stop_reasons.gemini_to_openai(reason, has_tool_calls=has_calls),
        stop_reason=stop_reasons.gemini_to_anthropic(reason, has_tool_calls=has_calls),
        usage=_usage(usage_from_gemini, response.usage_metadata),
    )


REPLY_PARSERS: dict[UpstreamApi, Callable[[bytes, str], Reply]] = {
    UpstreamApi.CHAT: from_chat,
    UpstreamApi.MESSAGES: from_anthropic,
    UpstreamApi.RESPONSES: from_responses,
    UpstreamApi.BEDROCK_CONVERSE: from_bedrock,
    UpstreamApi.GEMINI: from_gemini,
}


class _ChatUsageOnly(msgspec.Struct):
    usage: chat.ChatUsage | None = None


class _AnthropicUsageOnly(msgspec.Struct):
    usage: an.AnthropicUsage | None = None


class _ResponsesUsageOnly(msgspec.Struct):
    usage: rs.ResponseUsage | None = None


class _BedrockUsageOnly(msgspec.Struct):
    usage: br.ConverseUsage | None = None


class _GeminiUsageOnly(msgspec.Struct, rename="camel"):
    usage_metadata: gm.UsageMetadata | None = None


_CHAT_USAGE = msgspec.json.Decoder(_ChatUsageOnly)
_ANTHROPIC_USAGE = msgspec.json.Decoder(_AnthropicUsageOnly)
_RESPONSES_USAGE = msgspec.json.Decoder(_ResponsesUsageOnly)
_BEDROCK_USAGE = msgspec.json.Decoder(_BedrockUsageOnly)
_GEMINI_USAGE = msgspec.json.Decoder(_GeminiUsageOnly)


def upstream_usage(body: bytes, upstream: UpstreamApi) -> Usage | None:
    """Usage of an upstream response body, or None when absent or unreadable."""
    try:
        if upstream is UpstreamApi.CHAT:
            return _usage(usage_from_chat, _CHAT_USAGE.decode(body).usage)
        if upstream is UpstreamApi.MESSAGES:
            return _usage(usage_from_anthropic, _ANTHROPIC_USAGE.decode(body).usage)
        if upstream is UpstreamApi.RESPONSES:
            return _usage(usage_from_responses, _RESPONSES_USAGE.decode(body).usage)
        if upstream is UpstreamApi.BEDROCK_CONVERSE:
            return _usage(usage_from_bedrock, _BEDROCK_USAGE.decode(body).usage)
        return _usage(usage_from_gemini, _GEMINI_USAGE.decode(body).usage_metadata)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
