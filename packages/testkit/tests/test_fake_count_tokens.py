"""The fake answers Anthropic's /v1/messages/count_tokens in the shape the SDK parses."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic import Anthropic

from hermesllm.usage import Usage
from plano_testkit import FakeUpstream, Reply

MESSAGES: Any = [{"role": "user", "content": "How many tokens?"}]


@pytest.fixture
def client(fake: FakeUpstream) -> Anthropic:
    fake.reset()
    return Anthropic(base_url=fake.url, api_key="sk-ant-test", max_retries=0)


def test_scripted_and_estimated_counts(client: Anthropic, fake: FakeUpstream) -> None:
    fake.enqueue(Reply(usage=Usage(input_tokens=42, output_tokens=0)))
    scripted = client.messages.count_tokens(model="claude-sonnet-4", messages=MESSAGES)
    estimated = client.messages.count_tokens(model="claude-sonnet-4", messages=MESSAGES)
    assert scripted.input_tokens == 42
    assert estimated.input_tokens == len(fake.last_request.body) // 4
    assert [r.path for r in fake.requests] == ["/v1/messages/count_tokens"] * 2
    assert not fake.last_request.stream


def test_scripted_error(client: Anthropic, fake: FakeUpstream) -> None:
    fake.enqueue(Reply.error(429, "slow down"))
    with pytest.raises(anthropic.RateLimitError, match="slow down"):
        client.messages.count_tokens(model="claude-sonnet-4", messages=MESSAGES)
