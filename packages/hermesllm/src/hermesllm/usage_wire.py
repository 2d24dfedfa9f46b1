"""Token usage on the wire: each upstream API's usage object → `Usage`, and `Usage` → each
client API's usage object. One rule for streamed and whole responses.

`Usage.input_tokens` is the whole prompt. OpenAI shapes count it so (cached tokens are a detail
of it); Anthropic's and Bedrock's `input_tokens` leave out the tokens read from or written to
the cache. Counts a provider sends as null or leaves out read as 0.
"""

from hermesllm.types import anthropic as an
from hermesllm.types import bedrock as br
from hermesllm.types import gemini as gm
from hermesllm.types import openai_chat as chat
from hermesllm.types import openai_responses as rs
from hermesllm.usage import Usage

__all__ = [
    "anthropic_usage",
    "chat_usage",
    "responses_usage",
    "usage_from_anthropic",
    "usage_from_bedrock",
    "usage_from_chat",
    "usage_from_gemini",
    "usage_from_responses",
]


def usage_from_chat(usage: chat.ChatUsage) -> Usage:
    """Chat Completions usage (cached tokens in either provider convention)."""
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    cached = (prompt.cached_tokens if prompt else None) or usage.cache_read_input_tokens
    written = (prompt.cache_write_tokens if prompt else None) or usage.cache_creation_input_tokens
    return Usage(
        usage.prompt_tokens or 0,
        usage.completion_tokens or 0,
        cached or 0,
        written or 0,
        (completion.reasoning_tokens if completion else None) or 0,
    )


def _cache_excluded(
    uncached: int | None, output: int | None, cached: int | None, written: int | None
) -> Usage:
    """Usage from counts whose input leaves out cache reads and writes (they are added back)."""
    read, created = cached or 0, written or 0
    return Usage((uncached or 0) + read + created, output or 0, read, created)


def usage_from_anthropic(usage: an.AnthropicUsage) -> Usage:
    """Anthropic Messages usage; the prompt total adds cache reads and writes back in."""
    return _cache_excluded(
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_creation_input_tokens,
    )


def usage_from_responses(usage: rs.ResponseUsage) -> Usage:
    """Responses usage."""
    inputs = usage.input_tokens_details
    outputs = usage.output_tokens_details
    return Usage(
        usage.input_tokens or 0,
        usage.output_tokens or 0,
        (inputs.cached_tokens if inputs else None) or 0,
        (inputs.cache_write_tokens if inputs else None) or 0,
        (outputs.reasoning_tokens if outputs else None) or 0,
    )


def usage_from_bedrock(usage: br.ConverseUsage) -> Usage:
    """Bedrock Converse usage; the prompt total adds cache reads and writes back in."""
    return _cache_excluded(
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_write_input_tokens,
    )


def usage_from_gemini(usage: gm.UsageMetadata) -> Usage:
    """Gemini usage; thoughts count as (reasoning) output tokens."""
    thoughts = usage.thoughts_token_count or 0
    return Usage(
        (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0),
        (usage.candidates_token_count or 0) + thoughts,
        usage.cached_content_token_count or 0,
        0,
        thoughts,
    )


def chat_usage(usage: Usage) -> dict[str, object]:
    """Usage in Chat Completions shape."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cached_input_tokens,
            "cache_write_tokens": usage.cache_creation_tokens,
        },
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def anthropic_usage(usage: Usage) -> dict[str, int]:
    """Usage in Anthropic Messages shape: input_tokens excludes cache reads and writes."""
    cached, created = usage.cached_input_tokens, usage.cache_creation_tokens
    return {
        "input_tokens": max(usage.input_tokens - cached - created, 0),
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": created,
    }


def responses_usage(usage: Usage) -> dict[str, object]:
    """Usage in Responses shape."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_input_tokens,
            "cache_write_tokens": usage.cache_creation_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
