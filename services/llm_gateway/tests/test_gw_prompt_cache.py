"""Prompt-cache breakpoints reach Anthropic only when the config switches them on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream

LONG_SYSTEM = "You are a careful assistant who explains every step. " * 200


ENABLED = """prompt_caching:
  enabled: true
  inject_cache_control: true
  min_prefix_tokens: 1024
"""


@pytest.fixture(scope="module")
def clients(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[tuple[openai.OpenAI, openai.OpenAI]]:
    def config(caching: str) -> str:
        return gateway_config(
            fake_upstream.url,
            {"anthropic/claude-sonnet-4-5": "sk-anthropic"},
            default="anthropic/claude-sonnet-4-5",
            sections=caching,
            version="v0.4.0",
        )

    plain = start_gateway(config(""))
    caching = start_gateway(config(ENABLED))
    with plain.openai_sdk("sk-client") as off, caching.openai_sdk("sk-client") as on:
        yield off, on


def ask(sdk: openai.OpenAI, **kwargs: Any) -> None:
    sdk.chat.completions.create(
        model="claude-sonnet-4-5",
        messages=[
            {"role": "system", "content": LONG_SYSTEM},
            {"role": "user", "content": "hello"},
        ],
        **kwargs,
    )


def test_no_breakpoints_without_config(
    fake_upstream: FakeUpstream, clients: tuple[openai.OpenAI, openai.OpenAI]
) -> None:
    ask(clients[0])
    assert b"cache_control" not in fake_upstream.requests[-1].body


def test_breakpoints_when_configured(
    fake_upstream: FakeUpstream, clients: tuple[openai.OpenAI, openai.OpenAI]
) -> None:
    ask(clients[1])
    body = fake_upstream.requests[-1].json
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}


def test_header_switches_breakpoints_off_for_one_request(
    fake_upstream: FakeUpstream, clients: tuple[openai.OpenAI, openai.OpenAI]
) -> None:
    ask(clients[1], extra_headers={"x-plano-cache": "off"})
    assert b"cache_control" not in fake_upstream.requests[-1].body
