"""Prompt-cache markers: which strategy a provider/model/upstream needs, and injecting it.

Strategies:

- ``NONE``: no known way to mark the request (Bedrock Converse, Claude models behind a
  gateway that does not accept content-part markers, unknown providers).
- ``AUTOMATIC``: the provider caches stable prefixes by itself (OpenAI family, Gemini and
  the other automatic-prefix providers); nothing is injected.
- ``ANTHROPIC_BREAKPOINTS``: an Anthropic Messages body gets ephemeral ``cache_control``
  breakpoints: the end of the stable prefix (last system block, or the last tool when there
  is no system prompt), the last message (a rolling breakpoint: this turn's cache write is
  the next turn's read) and the previous user turn (a read point when a long tool loop
  separates the turns). Client breakpoints count against Anthropic's limit of four; a
  breakpoint is only placed when the estimated prefix it closes reaches the minimum
  cacheable size. Requests whose existing markers use a different ``ttl`` than the one
  injected are left alone, since Anthropic requires longer-lived breakpoints to precede
  shorter ones.
- ``CONTENT_PART``: a Chat Completions body for a Claude model behind an OpenAI-compatible
  aggregator (DigitalOcean, OpenRouter, Eden AI) gets one ``cache_control`` marker on the
  last text part of the leading system/developer messages, unless any part is marked.

Injection is idempotent: running it twice leaves the body as the first run did.
"""

from enum import StrEnum
from typing import Any, Final

from hermesllm.apis import UpstreamApi
from hermesllm.provider_ids import ProviderId

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_MIN_PREFIX_TOKENS",
    "MAX_BREAKPOINTS",
    "CacheStrategy",
    "cache_strategy",
    "inject_cache_breakpoints",
    "is_claude_model",
    "is_openai_family_model",
]

DEFAULT_MIN_PREFIX_TOKENS: Final = 1024
MAX_BREAKPOINTS: Final = 4
CHARS_PER_TOKEN: Final = 4

_CONTENT_PART_GATEWAYS: Final = frozenset(
    {ProviderId.DIGITALOCEAN, ProviderId.OPENROUTER, ProviderId.EDENAI}
)
_AUTOMATIC_PROVIDERS: Final = frozenset(
    {
        ProviderId.OPENAI,
        ProviderId.AZURE_OPENAI,
        ProviderId.CHATGPT,
        ProviderId.GROQ,
        ProviderId.DEEPSEEK,
        ProviderId.GEMINI,
        ProviderId.MOONSHOTAI,
        ProviderId.XAI,
        ProviderId.DIGITALOCEAN,
        ProviderId.OPENROUTER,
        ProviderId.EDENAI,
    }
)
_CACHEABLE_BLOCK_TYPES: Final = frozenset(
    {"text", "image", "document", "tool_use", "tool_result", "search_result"}
)


class CacheStrategy(StrEnum):
    """How a request is marked for prompt caching."""

    NONE = "none"
    AUTOMATIC = "automatic"
    ANTHROPIC_BREAKPOINTS = "anthropic_breakpoints"
    CONTENT_PART = "content_part"


def is_claude_model(model: str) -> bool:
    """True when a model id names an Anthropic model (any gateway spelling)."""
    lowered = model.lower()
    return "claude" in lowered or "anthropic" in lowered


def is_openai_family_model(model: str) -> bool:
    """True when a model id names an OpenAI model (any gateway spelling)."""
    lowered = model.lower()
    return "gpt" in lowered or "openai" in lowered


def cache_strategy(provider: ProviderId, upstream: UpstreamApi, model: str) -> CacheStrategy:
    """The prompt-cache marking strategy for a provider, upstream API and model id."""
    if upstream is UpstreamApi.MESSAGES:
        if provider is ProviderId.ANTHROPIC or is_claude_model(model):
            return CacheStrategy.ANTHROPIC_BREAKPOINTS
        return CacheStrategy.NONE
    if upstream is UpstreamApi.CHAT:
        if is_claude_model(model):
            if provider in _CONTENT_PART_GATEWAYS:
                return CacheStrategy.CONTENT_PART
            return CacheStrategy.NONE
        if is_openai_family_model(model) or provider in _AUTOMATIC_PROVIDERS:
            return CacheStrategy.AUTOMATIC
        return CacheStrategy.NONE
    if upstream in (UpstreamApi.RESPONSES, UpstreamApi.GEMINI):
        return CacheStrategy.AUTOMATIC
    return CacheStrategy.NONE


def inject_cache_breakpoints(
    body: dict[str, Any],
    provider: ProviderId,
    upstream: UpstreamApi,
    model: str,
    *,
    min_prefix_tokens: int = DEFAULT_MIN_PREFIX_TOKENS,
    ttl: str | None = None,
) -> None:
    """Add prompt-cache markers to an upstream request body in place (idempotent)."""
    strategy = cache_strategy(provider, upstream, model)
    if strategy is CacheStrategy.ANTHROPIC_BREAKPOINTS:
        _inject_anthropic(body, _marker(ttl), min_prefix_tokens * CHARS_PER_TOKEN)
    elif strategy is CacheStrategy.CONTENT_PART:
        _inject_content_part(body, _marker(ttl), min_prefix_tokens * CHARS_PER_TOKEN)


def _lifetime(ttl: object) -> object:
    """A marker's cache lifetime, with the default spelled one way."""
    return None if ttl is None or ttl == "5m" else ttl


def _marker(ttl: str | None) -> dict[str, Any]:
    return {"type": "ephemeral"} if ttl is None else {"type": "ephemeral", "ttl": ttl}


# ---- Anthropic Messages breakpoints -------------------------------------------------


def _inject_anthropic(body: dict[str, Any], marker: dict[str, Any], min_chars: int) -> None:
    existing = _existing_anthropic_markers(body)
    if len(existing) >= MAX_BREAKPOINTS:
        return
    if any(_lifetime(m.get("ttl")) != _lifetime(marker.get("ttl")) for m in existing):
        return
    budget = MAX_BREAKPOINTS - len(existing)
    for target, prefix_chars in _anthropic_candidates(body, min_chars):
        if budget == 0:
            return
        if prefix_chars >= min_chars and target.mark(marker):
            budget -= 1


def _existing_anthropic_markers(body: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for holder in (*_dicts(body.get("tools")), *_dicts(body.get("system"))):
        _collect_marker(holder, found)
    for message in _dicts(body.get("messages")):
        content = message.get("content")
        if type(content) is not list:
            continue
        for block in content:
            if type(block) is not dict:
                continue
            _collect_marker(block, found)
            nested = block.get("content")
            if type(nested) is list:
                for inner in nested:
                    if type(inner) is dict:
                        _collect_marker(inner, found)
    return found


def _collect_marker(holder: dict[str, Any], found: list[dict[str, Any]]) -> None:
    marker = holder.get("cache_control")
    if isinstance(marker, dict):
        found.append(marker)


class _Target:
    """A place a breakpoint can go: a block, or a plain string field turned into one block."""

    __slots__ = ("block", "holder", "key")

    def __init__(
        self, block: dict[str, Any] | None, holder: dict[str, Any] | None = None, key: str = ""
    ) -> None:
        self.block = block
        self.holder = holder
        self.key = key

    def mark(self, marker: dict[str, Any]) -> bool:
        """Place the marker unless one is already here; True when placed."""
        if self.block is not None:
            if "cache_control" in self.block:
                return False
            self.block["cache_control"] = dict(marker)
            return True
        if self.holder is None:
            return False
        text = self.holder[self.key]
        self.holder[self.key] = [{"type": "text", "text": text, "cache_control": dict(marker)}]
        return True


def _string_or_block_target(holder: dict[str, Any], key: str) -> _Target | None:
    value = holder.get(key)
    if isinstance(value, str):
        return _Target(None, holder, key) if value else None
    block = _last_cacheable(_dicts(value))
    return _Target(block) if block is not None else None


def _anthropic_candidates(body: dict[str, Any], min_chars: int) -> list[tuple[_Target, int]]:
    """Breakpoint targets in priority order, each with the prefix length (chars) it closes.

    Lengths are only counted up to `min_chars`: a longer prefix is no more eligible.
    """
    candidates: list[tuple[_Target, int]] = []
    tools = _dicts(body.get("tools"))
    chars = _text_chars([tools, body.get("system")], min_chars)
    prefix_target = _string_or_block_target(body, "system")
    if prefix_target is None and tools:
        prefix_target = _Target(tools[-1])
    if prefix_target is not None:
        candidates.append((prefix_target, chars))

    messages = _dicts(body.get("messages"))
    ends: list[int] = []
    for message in messages:
        if chars < min_chars:
            chars += _text_chars(message.get("content"), min_chars - chars)
        ends.append(chars)
    if not messages:
        return candidates
    last_target = _string_or_block_target(messages[-1], "content")
    if last_target is not None:
        candidates.append((last_target, ends[-1]))
    for index in range(len(messages) - 2, -1, -1):
        if messages[index].get("role") == "user":
            previous_target = _string_or_block_target(messages[index], "content")
            if previous_target is not None:
                candidates.append((previous_target, ends[index]))
            break
    return candidates


def _last_cacheable(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    for block in blocks[::-1]:
        kind = block.get("type")
        if not isinstance(kind, str) or (kind == "text" and not block.get("text")):
            continue
        if kind in _CACHEABLE_BLOCK_TYPES:
            return block
    return None


# ---- OpenAI-compatible content-part markers -----------------------------------------


def _inject_content_part(body: dict[str, Any], marker: dict[str, Any], min_chars: int) -> None:
    messages = _dicts(body.get("messages"))
    if not messages or _has_content_part_marker(messages):
        return
    prefix_chars = 0
    target = messages[0]
    for message in messages:
        if message.get("role") not in ("system", "developer"):
            break
        if prefix_chars < min_chars:
            prefix_chars += _text_chars(message.get("content"), min_chars - prefix_chars)
        target = message
    if prefix_chars < min_chars:
        prefix_chars += _text_chars(_dicts(body.get("tools")), min_chars - prefix_chars)
    if prefix_chars < min_chars:
        return
    content = target.get("content")
    if isinstance(content, str):
        if content:
            target["content"] = [{"type": "text", "text": content, "cache_control": marker}]
        return
    for part in _dicts(content)[::-1]:
        if part.get("type") == "text":
            part["cache_control"] = marker
            return


def _has_content_part_marker(messages: list[dict[str, Any]]) -> bool:
    return any(
        "cache_control" in part for message in messages for part in _dicts(message.get("content"))
    )


# ---- helpers ------------------------------------------------------------------------


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a JSON list (other values yield nothing)."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text_chars(value: Any, limit: int) -> int:
    """Characters of text in a JSON value (keys included), ignoring base64 payloads and cache
    markers; counting stops as soon as `limit` is reached (the result is then at least `limit`).
    """
    total = 0
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            total += len(item)
        elif kind is dict:
            is_base64 = item.get("type") == "base64"
            for key, child in item.items():
                if key == "cache_control" or (is_base64 and key == "data"):
                    continue
                total += len(key)
                if type(child) is str:
                    total += len(child)
                else:
                    push(child)
        elif kind is list:
            stack.extend(item)
        elif kind is int or kind is float:
            total += len(str(item))
        if total >= limit:
            return total
    return total
