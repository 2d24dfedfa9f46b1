"""Prompt-cache breakpoints are added by prepare_upstream_request only when asked for."""

import msgspec

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import prepare_upstream_request

LONG_SYSTEM = "You are a careful assistant who explains every step. " * 200
REQUEST = msgspec.json.encode(
    {
        "model": "claude",
        "messages": [
            {"role": "system", "content": LONG_SYSTEM},
            {"role": "user", "content": "hello"},
        ],
    }
)


def _prepare(**kwargs: int) -> bytes:
    return prepare_upstream_request(
        REQUEST,
        ClientApi.CHAT,
        UpstreamApi.MESSAGES,
        provider=ProviderId.ANTHROPIC,
        model="claude-sonnet-4-5",
        **kwargs,
    )


def test_no_breakpoints_by_default() -> None:
    assert b"cache_control" not in _prepare()


def test_breakpoints_when_enabled() -> None:
    body = msgspec.json.decode(_prepare(cache_min_prefix_tokens=1024))
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}


def test_prefix_below_minimum_gets_no_breakpoint() -> None:
    assert b"cache_control" not in _prepare(cache_min_prefix_tokens=1_000_000)
