"""Metrics helpers over decoded upstream stream events: first token, usage, token estimate.

Every function takes the upstream API and one event as decoded JSON (a mapping): the `data` of
an SSE event, or the payload of a Bedrock event-stream frame together with the frame's
`:event-type` (Bedrock payloads do not name their type; the SDK-style wrapped form
`{"contentBlockDelta": {...}}` is accepted too). Unexpected shapes never raise: an event that
does not look as expected simply carries no token and no usage.

Usage follows `hermesllm.usage.Usage`: `input_tokens` is the whole prompt, so Anthropic's and
Bedrock's uncached input, cache reads and cache writes are added up; `output_tokens` includes
reasoning tokens (Gemini's `thoughtsTokenCount` is added to `candidatesTokenCount`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from hermesllm.apis import UpstreamApi
from hermesllm.usage import Usage

__all__ = [
    "CHARS_PER_TOKEN",
    "StreamMeter",
    "carries_first_token",
    "estimate_output_tokens",
    "output_text",
    "usage_from_event",
]

CHARS_PER_TOKEN = 4
"""Characters per token assumed by `estimate_output_tokens` (the usual rule for English text)."""

_BEDROCK_EVENTS = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)
_RESPONSES_DELTAS = frozenset(
    {
        "response.output_text.delta",
        "response.refusal.delta",
        "response.reasoning_text.delta",
        "response.reasoning_summary_text.delta",
        "response.function_call_arguments.delta",
        "response.custom_tool_call_input.delta",
    }
)
_RESPONSES_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_RESPONSES_TOOL_ITEMS = frozenset({"function_call", "custom_tool_call"})
_ANTHROPIC_TOOL_BLOCKS = frozenset({"tool_use", "server_tool_use", "redacted_thinking"})


def carries_first_token(
    upstream: UpstreamApi, event: Mapping[str, Any], event_type: str | None = None
) -> bool:
    """Whether the event carries generated output: text, reasoning or a tool call.

    The first event for which this is true marks the time to first token. A tool call counts
    from its start (its name is generated output), even before any argument fragment.
    """
    if upstream is UpstreamApi.MESSAGES:
        kind = event.get("type")
        if kind == "content_block_start":
            block = _mapping(event.get("content_block"))
            return block.get("type") in _ANTHROPIC_TOOL_BLOCKS or bool(_anthropic_text(block))
        return kind == "content_block_delta" and bool(_anthropic_text(_mapping(event.get("delta"))))
    if upstream is UpstreamApi.BEDROCK_CONVERSE:
        kind, body = _bedrock_event(event, event_type)
        if kind == "contentBlockStart":
            return "toolUse" in _mapping(body.get("start"))
        return kind == "contentBlockDelta" and bool(_bedrock_text(body))
    if upstream is UpstreamApi.RESPONSES:
        kind = event.get("type")
        if kind == "response.output_item.added":
            return _mapping(event.get("item")).get("type") in _RESPONSES_TOOL_ITEMS
        return kind in _RESPONSES_DELTAS and bool(_text(event.get("delta")))
    if upstream is UpstreamApi.GEMINI:
        return any(
            bool(_text(part.get("text"))) or "functionCall" in part for part in _parts(event)
        )
    return any(
        bool(_chat_text(delta)) or bool(_list(delta.get("tool_calls")))
        for delta in _chat_deltas(event)
    )


def output_text(
    upstream: UpstreamApi, event: Mapping[str, Any], event_type: str | None = None
) -> str:
    """The generated characters of one event: text, reasoning, tool names and arguments."""
    if upstream is UpstreamApi.MESSAGES:
        kind = event.get("type")
        if kind == "content_block_start":
            block = _mapping(event.get("content_block"))
            return _text(block.get("name")) + _anthropic_text(block)
        if kind == "content_block_delta":
            return _anthropic_text(_mapping(event.get("delta")))
        return ""
    if upstream is UpstreamApi.BEDROCK_CONVERSE:
        kind, body = _bedrock_event(event, event_type)
        if kind == "contentBlockStart":
            return _text(_mapping(_mapping(body.get("start")).get("toolUse")).get("name"))
        return _bedrock_text(body) if kind == "contentBlockDelta" else ""
    if upstream is UpstreamApi.RESPONSES:
        kind = event.get("type")
        if kind == "response.output_item.added":
            return _text(_mapping(event.get("item")).get("name"))
        return _text(event.get("delta")) if kind in _RESPONSES_DELTAS else ""
    if upstream is UpstreamApi.GEMINI:
        pieces = []
        for part in _parts(event):
            pieces.append(_text(part.get("text")))
            call = part.get("functionCall")
            if isinstance(call, Mapping):
                pieces.append(_text(call.get("name")))
                pieces.append(_json_text(call.get("args")))
        return "".join(pieces)
    pieces = []
    for delta in _chat_deltas(event):
        pieces.append(_chat_text(delta))
        for call in _list(delta.get("tool_calls")):
            function = _mapping(_mapping(call).get("function"))
            pieces.append(_text(function.get("name")) + _text(function.get("arguments")))
    return "".join(pieces)


def usage_from_event(
    upstream: UpstreamApi,
    event: Mapping[str, Any],
    event_type: str | None = None,
    previous: Usage | None = None,
) -> Usage | None:
    """The usage an event reports, or None when it reports none.

    Anthropic splits usage over `message_start` (input and cache counts) and `message_delta`
    (output, sometimes updated input counts): pass the usage returned so far as `previous` and
    the counts present in this event replace those in it. The other APIs report complete
    usage, which replaces `previous`: the chat usage chunk, Bedrock `metadata.usage`, Gemini
    `usageMetadata` (cumulative, on every chunk) and Responses `response.completed` (or
    `response.incomplete` / `response.failed`).
    """
    if upstream is UpstreamApi.MESSAGES:
        kind = event.get("type")
        if kind == "message_start":
            usage = _mapping(_mapping(event.get("message")).get("usage"))
        elif kind == "message_delta":
            usage = _mapping(event.get("usage"))
        else:
            return None
        return _anthropic_usage(usage, previous or Usage()) if usage else None
    if upstream is UpstreamApi.BEDROCK_CONVERSE:
        kind, body = _bedrock_event(event, event_type)
        usage = _mapping(body.get("usage")) if kind == "metadata" else {}
        if not usage:
            return None
        cached = _int(usage.get("cacheReadInputTokens"))
        created = _int(usage.get("cacheWriteInputTokens"))
        return Usage(
            input_tokens=_int(usage.get("inputTokens")) + cached + created,
            output_tokens=_int(usage.get("outputTokens")),
            cached_input_tokens=cached,
            cache_creation_tokens=created,
        )
    if upstream is UpstreamApi.GEMINI:
        usage = _mapping(event.get("usageMetadata"))
        if not usage:
            return None
        thoughts = _int(usage.get("thoughtsTokenCount"))
        return Usage(
            input_tokens=_int(usage.get("promptTokenCount")),
            output_tokens=_int(usage.get("candidatesTokenCount")) + thoughts,
            cached_input_tokens=_int(usage.get("cachedContentTokenCount")),
            reasoning_tokens=thoughts,
        )
    if upstream is UpstreamApi.RESPONSES:
        if event.get("type") not in _RESPONSES_FINAL:
            return None
        usage = _mapping(_mapping(event.get("response")).get("usage"))
        if not usage:
            return None
        return Usage(
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
            cached_input_tokens=_int(
                _mapping(usage.get("input_tokens_details")).get("cached_tokens")
            ),
            reasoning_tokens=_int(
                _mapping(usage.get("output_tokens_details")).get("reasoning_tokens")
            ),
        )
    usage = _mapping(event.get("usage"))
    if not usage:
        return None
    cached = _int(_mapping(usage.get("prompt_tokens_details")).get("cached_tokens")) or _int(
        usage.get("cache_read_input_tokens")
    )
    return Usage(
        input_tokens=_int(usage.get("prompt_tokens")),
        output_tokens=_int(usage.get("completion_tokens")),
        cached_input_tokens=cached,
        cache_creation_tokens=_int(usage.get("cache_creation_input_tokens")),
        reasoning_tokens=_int(
            _mapping(usage.get("completion_tokens_details")).get("reasoning_tokens")
        ),
    )


def estimate_output_tokens(chars: int) -> int:
    """Estimated tokens for `chars` generated characters: one token per 4 characters, rounded
    up (0 for no text). Used only when the upstream reports no usage."""
    if chars <= 0:
        return 0
    return -(-chars // CHARS_PER_TOKEN)


class StreamMeter:
    """Accumulates the metrics of one upstream stream, one decoded event at a time."""

    __slots__ = ("first_token_seen", "output_chars", "upstream", "usage")

    def __init__(self, upstream: UpstreamApi) -> None:
        self.upstream = upstream
        self.first_token_seen = False
        self.output_chars = 0
        self.usage: Usage | None = None
        """The usage the upstream reported so far, if any."""

    def observe(self, event: Mapping[str, Any], event_type: str | None = None) -> bool:
        """Account for one event; True exactly when it is the stream's first token."""
        self.output_chars += len(output_text(self.upstream, event, event_type))
        usage = usage_from_event(self.upstream, event, event_type, self.usage)
        if usage is not None:
            self.usage = usage
        if self.first_token_seen or not carries_first_token(self.upstream, event, event_type):
            return False
        self.first_token_seen = True
        return True

    def final_usage(self) -> Usage:
        """The reported usage, or an output-only estimate from the streamed characters."""
        if self.usage is not None:
            return self.usage
        return Usage(output_tokens=estimate_output_tokens(self.output_chars))


def _anthropic_usage(usage: Mapping[str, Any], previous: Usage) -> Usage:
    cached = _int_or(usage.get("cache_read_input_tokens"), previous.cached_input_tokens)
    created = _int_or(usage.get("cache_creation_input_tokens"), previous.cache_creation_tokens)
    previous_uncached = (
        previous.input_tokens - previous.cached_input_tokens - previous.cache_creation_tokens
    )
    uncached = _int_or(usage.get("input_tokens"), previous_uncached)
    return Usage(
        input_tokens=uncached + cached + created,
        output_tokens=_int_or(usage.get("output_tokens"), previous.output_tokens),
        cached_input_tokens=cached,
        cache_creation_tokens=created,
        reasoning_tokens=previous.reasoning_tokens,
    )


def _anthropic_text(part: Mapping[str, Any]) -> str:
    return _text(part.get("text")) + _text(part.get("thinking")) + _text(part.get("partial_json"))


def _bedrock_event(
    event: Mapping[str, Any], event_type: str | None
) -> tuple[str | None, Mapping[str, Any]]:
    if event_type is not None:
        return event_type, event
    if len(event) == 1:
        ((kind, body),) = event.items()
        if kind in _BEDROCK_EVENTS and isinstance(body, Mapping):
            return kind, body
    return None, event


def _bedrock_text(body: Mapping[str, Any]) -> str:
    delta = _mapping(body.get("delta"))
    return (
        _text(delta.get("text"))
        + _text(_mapping(delta.get("toolUse")).get("input"))
        + _text(_mapping(delta.get("reasoningContent")).get("text"))
    )


def _chat_deltas(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for choice in _list(event.get("choices")):
        delta = _mapping(_mapping(choice).get("delta"))
        if delta:
            yield delta


def _chat_text(delta: Mapping[str, Any]) -> str:
    return (
        _text(delta.get("content"))
        + _text(delta.get("reasoning_content"))
        + _text(delta.get("reasoning"))
        + _text(delta.get("refusal"))
    )


def _parts(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for candidate in _list(event.get("candidates")):
        content = _mapping(_mapping(candidate).get("content"))
        for part in _list(content.get("parts")):
            if isinstance(part, Mapping):
                yield part


def _json_text(value: Any) -> str:
    if not value:
        return ""
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
