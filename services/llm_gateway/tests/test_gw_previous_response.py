"""`previous_response_id` on the LLM egress: forwarded to Responses providers, refused (400)
for the others, which would otherwise answer without the conversation's history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

PROVIDERS = {
    "openai/gpt-4o-mini": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "groq/llama-3.1-8b-instant": "sk-groq",
}


@pytest.fixture(scope="module")
def client(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[openai.OpenAI]:
    config = gateway_config(fake_upstream.url, PROVIDERS, default="openai/gpt-4o-mini")
    with start_gateway(config).openai_sdk() as sdk:
        yield sdk


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model", ["claude-sonnet-4-20250514", "llama-3.1-8b-instant"])
def test_gw_previous_response_refused_without_upstream_state(
    client: openai.OpenAI, fake_upstream: FakeUpstream, model: str, stream: bool
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=model, input="and then?", previous_response_id="resp_abc", stream=stream
        )
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == "previous_response_id"
    assert error["code"] == "previous_response_not_supported"
    assert "model listener" in error["message"]
    assert fake_upstream.requests == []


def test_gw_previous_response_forwarded_to_openai(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text="remembered"))
    response = client.responses.create(
        model="gpt-4o-mini", input="and then?", previous_response_id="resp_abc"
    )
    assert response.output_text == "remembered"
    assert fake_upstream.last_request.json["previous_response_id"] == "resp_abc"


def test_gw_previous_response_null_is_ignored(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text="fresh"))
    response = client.responses.create(
        model="claude-sonnet-4-20250514",
        input="hi",
        extra_body={"previous_response_id": None},
    )
    assert response.output_text == "fresh"
