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


RATELIMITS = """\
ratelimits:
  - model: gpt-4o-mini
    selector: {key: x-user-id}
    limit: {tokens: 20, unit: second}
"""


@pytest.fixture(scope="module")
def config(fake_upstream: FakeUpstream, gateway_config: Any) -> str:
    return gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai"},
        default="openai/gpt-4o-mini",
        sections=RATELIMITS,
    )


def user_headers(user: str) -> dict[str, str]:
    return {"x-arch-ratelimit-selector": "x-user-id", "x-user-id": user}


def ask(sdk: openai.OpenAI, user: str) -> Any:
    return sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers=user_headers(user),
    )


def test_gw_rate_limit_rejects_then_admits_after_the_window(
    start_gateway: Any, config: str
) -> None:
    gateway = start_gateway(config)
    with gateway.openai_sdk() as sdk:
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
    with gateway.anthropic_sdk() as client:
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
    start_gateway: Any, config: str, redis_url: str
) -> None:
    environ = {"PLANO_RATELIMIT_BACKEND": "redis", "PLANO_RATELIMIT_REDIS_URL": redis_url}
    first = start_gateway(config, environ)
    second = start_gateway(config, environ)
    user = f"shared-{uuid.uuid4().hex}"
    with first.openai_sdk() as one, second.openai_sdk() as two:
        assert ask(one, user).choices
        with pytest.raises(openai.RateLimitError):
            ask(two, user)


ENFORCED = """\
ratelimits:
  - model: gpt-4o-mini
    selector: {key: x-user-id, enforce: true, default: anonymous}
    limit: {tokens: 20, unit: minute}
"""


def test_gw_enforced_limit_applies_without_the_selector_header(
    start_gateway: Any, fake_upstream: FakeUpstream, gateway_config: Any
) -> None:
    config = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai"},
        default="openai/gpt-4o-mini",
        sections=ENFORCED,
    )
    gateway = start_gateway(config)
    messages: Any = [{"role": "user", "content": PROMPT}]
    with gateway.openai_sdk() as sdk:
        assert sdk.chat.completions.create(model="gpt-4o-mini", messages=messages).choices
        with pytest.raises(openai.RateLimitError, match="x-user-id:anonymous"):
            sdk.chat.completions.create(model="gpt-4o-mini", messages=messages)
        with pytest.raises(openai.RateLimitError):
            sdk.chat.completions.create(
                model="gpt-4o-mini",
                messages=messages,
                extra_headers={"x-arch-ratelimit-selector": "x-other", "x-other": "1"},
            )
        assert ask(sdk, "dave").choices, "a user id has its own bucket"
        with pytest.raises(openai.RateLimitError, match="x-user-id:dave"):
            sdk.chat.completions.create(
                model="gpt-4o-mini", messages=messages, extra_headers={"x-user-id": "dave"}
            )
