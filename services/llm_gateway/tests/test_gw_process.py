"""`python -m llm_gateway --config FILE` serves SDK traffic as a real process."""

from __future__ import annotations

from typing import Any

import openai

from plano_testkit import run_service
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.raw_client import post
from plano_testkit.reply import Reply


def test_gw_process_serves_requests_and_logs_them(
    fake_upstream: FakeUpstream, gateway_config: Any
) -> None:
    config = gateway_config(
        fake_upstream.url, {"openai/gpt-4o-mini": "sk-upstream"}, default="openai/gpt-4o-mini"
    )
    fake_upstream.enqueue(Reply(text="from a process"))
    with run_service("llm_gateway", config, env={"PLANO_ACCESS_LOG": "stderr"}) as service:
        with openai.OpenAI(base_url=f"{service.url}/v1", api_key="sk-c", max_retries=0) as sdk:
            completion = sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        assert completion.choices[0].message.content == "from a process"
        missing = post(f"{service.url}/v1/chat/completions", {"model": "nope", "messages": []})
        assert missing.status == 404
        service.wait_for_log('"status":404')
    assert fake_upstream.last_request.headers["authorization"] == "Bearer sk-upstream"
