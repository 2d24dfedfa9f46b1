"""Token rate limits end to end: 429 with Retry-After in the client's dialect, then admitted."""

from __future__ import annotations

import time
import uuid
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream

PROMPT = " ".join(f"word{i}" for i in range(9))  # 18 tokens: two never fit in 20


def config(fake: FakeUpstream) -> str:
    return f"""
version: v0.3.0
listeners:
  - type: model
    name: egress
    port: 12001
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-openai
    base_url: {fake.url}
    default: true
ratelimits:
  - model: gpt-4o-mini
    selector: {{key: x-user-id}}
    limit: {{tokens: 20, unit: second}}
"""


def user_headers(user: str) -> dict[str, str]:
    return {"x-arch-ratelimit-selector": "x-user-id", "x-user-id": user}


def ask(sdk: openai.OpenAI, user: str) -> Any:
    return sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers=user_headers(user),
    )


def test_gw_rate_limit_rejects_then_admits_after_the_window(
    fake_upstream: FakeUpstream, start_gateway: Any
) -> None:
    gateway = start_gateway(config(fake_upstream))
    with openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="k", max_retries=0) as sdk:
        assert ask(sdk, "alice").choices
        with pytest.raises(openai.RateLimitError, match="x-user-id") as info:
            ask(sdk, "alice")
        retry_after = info.value.response.headers["retry-after"]
        assert 1 <= int(retry_after) <= 2
        assert ask(sdk, "bob").choices, "other selector values have their own bucket"
        sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}]
        )
        time.sleep(1.1)
        assert ask(sdk, "alice").choices
    with anthropic.Anthropic(base_url=gateway.url, api_key="k", max_retries=0) as client:
        client.messages.create(
            model="gpt-4o-mini",
            max_tokens=5,
            messages=[{"role": "user", "content": PROMPT}],
            extra_headers=user_headers("carol"),
        )
        with pytest.raises(anthropic.RateLimitError, match="exceeded rate limit"):
            client.messages.create(
                model="gpt-4o-mini",
                max_tokens=5,
                messages=[{"role": "user", "content": PROMPT}],
                extra_headers=user_headers("carol"),
            )
    limited = gateway.wait_metric(
        "llm_gateway_ratelimited_requests_total", {"model": "gpt-4o-mini"}, 2
    )
    assert limited == 2


def test_gw_rate_limit_shared_through_redis(
    fake_upstream: FakeUpstream, start_gateway: Any, redis_url: str
) -> None:
    environ = {"PLANO_RATELIMIT_BACKEND": "redis", "PLANO_RATELIMIT_REDIS_URL": redis_url}
    first = start_gateway(config(fake_upstream), environ)
    second = start_gateway(config(fake_upstream), environ)
    user = f"shared-{uuid.uuid4().hex}"
    with (
        openai.OpenAI(base_url=f"{first.url}/v1", api_key="k", max_retries=0) as one,
        openai.OpenAI(base_url=f"{second.url}/v1", api_key="k", max_retries=0) as two,
    ):
        assert ask(one, user).choices
        with pytest.raises(openai.RateLimitError):
            ask(two, user)
