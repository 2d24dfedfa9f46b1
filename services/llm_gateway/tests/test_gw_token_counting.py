"""A huge prompt's token count never stalls other requests (it runs off the event loop or is
estimated)."""

from __future__ import annotations

import json
import threading
import time
from http.client import HTTPConnection
from typing import Any

import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

# Tokenizing 5 million identical letters takes several seconds of CPU (the BPE merges of one
# huge word); on the event loop that stalled every other request for as long.
HUGE_PROMPT = "a" * 5_000_000
RATELIMITS = """\
ratelimits:
  - model: gpt-4o-mini
    selector: {key: x-user-id}
    limit: {tokens: 100000000, unit: minute}
"""
# Each small request normally takes milliseconds; a stalled loop makes it wait seconds.
PROMPT_LATENCY_BOUND = 2.0


def _post(port: int, prompt: str, request_id: str) -> int:
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps(
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
        )
        connection.request(
            "POST",
            "/v1/chat/completions",
            body=body,
            headers={"content-type": "application/json", "x-request-id": request_id},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="estimated-above-threshold"),
        pytest.param({"PLANO_TOKENIZER_EXACT_MAX_CHARS": "50000000"}, id="counted-in-worker"),
    ],
)
def test_gw_small_requests_complete_while_a_huge_prompt_is_counted(
    start_gateway: Any,
    gateway_config: Any,
    fake_upstream: FakeUpstream,
    environ: dict[str, str],
) -> None:
    fake_upstream.default_reply = Reply(text="ok")
    config = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai"},
        default="openai/gpt-4o-mini",
        sections=RATELIMITS,
    )
    gateway = start_gateway(config, environ)
    assert _post(gateway.port, "warm up the tokenizer", "warm") == 200
    statuses: list[int] = []
    huge = threading.Thread(
        target=lambda: statuses.append(_post(gateway.port, HUGE_PROMPT, "huge")), daemon=True
    )
    huge.start()
    time.sleep(0.5)  # the huge body is on its way / being counted
    latencies = []
    for index in range(5):
        started = time.monotonic()
        assert _post(gateway.port, "hello", f"small-{index}") == 200
        latencies.append(time.monotonic() - started)
    huge.join(60)
    assert statuses == [200]
    assert max(latencies) < PROMPT_LATENCY_BOUND, latencies
