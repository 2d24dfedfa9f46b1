"""A keyless OpenAI-compatible server behind `base_url` works and draws no warning; a keyless
hosted provider at its default address is warned about and refused, as the warning says."""

from __future__ import annotations

import openai
import pytest

from plano_testkit import run_service
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

LISTENER = "version: v0.4.0\nlisteners:\n  - {type: model, name: egress, port: 12001}\n"


def test_keyless_custom_server_works_without_warning(fake_upstream: FakeUpstream) -> None:
    config = (
        LISTENER + "model_providers:\n"
        "  - model: my_server/llama3\n"
        "    provider_interface: openai\n"
        f"    base_url: {fake_upstream.url}/v1\n"
        "    default: true\n"
    )
    fake_upstream.enqueue(Reply(text="hello"))
    with run_service("llm_gateway", config, env={"PLANO_ACCESS_LOG": "off"}) as service:
        sdk = openai.OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)
        completion = sdk.chat.completions.create(
            model="my_server/llama3", messages=[{"role": "user", "content": "hi"}]
        )
        assert completion.choices[0].message.content == "hello"
    assert "authorization" not in fake_upstream.last_request.headers
    assert "no access_key" not in service.final_stderr


def test_keyless_hosted_provider_is_warned_and_refused(fake_upstream: FakeUpstream) -> None:
    config = (
        LISTENER + "model_providers:\n"
        "  - {model: openai/gpt-4o, access_key: '${NO_SUCH_KEY:-}', default: true}\n"
    )
    with run_service("llm_gateway", config, env={"PLANO_ACCESS_LOG": "off"}) as service:
        sdk = openai.OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)
        with pytest.raises(openai.BadRequestError, match="No access key"):
            sdk.chat.completions.create(
                model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
    assert "the gateway will reject its requests" in service.final_stderr
    assert not fake_upstream.requests
