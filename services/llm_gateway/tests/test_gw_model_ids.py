"""Hostile model ids: injected paths, dot-segments, control characters and huge names never
reach an upstream URL; each is refused with 400 in the client's dialect or percent-encoded."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any

import anthropic
import openai
import pytest

from llm_gateway.access_log import AccessLog
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

MESSAGES: Any = [{"role": "user", "content": "hi"}]
HINT = "x-arch-llm-provider-hint"
MB = 1024 * 1024


def wildcards(base_url: str) -> str:
    return "".join(
        f"  - model: {prefix}/*\n    access_key: sk-{prefix}-0123456789\n    base_url: {base_url}\n"
        for prefix in ("gemini", "amazon_bedrock", "azure_openai")
    )


@pytest.fixture(scope="module")
def gateway(fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any) -> Any:
    config = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai-0123456789"},
        default="openai/gpt-4o-mini",
        providers=wildcards(fake_upstream.url),
    )
    return start_gateway(config, {"PLANO_LLM_MAX_MODEL_ID_LENGTH": "64"})


@pytest.fixture
def sdk(gateway: Any) -> Iterator[openai.OpenAI]:
    with gateway.openai_sdk() as client:
        yield client


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("gemini/x:countTokens#", "/v1beta/models/x%3AcountTokens%23:generateContent"),
        ("gemini/a b?alt=json&x=", "/v1beta/models/a%20b%3Falt%3Djson%26x%3D:generateContent"),
        ("gemini/ü", "/v1beta/models/%C3%BC:generateContent"),
        ("amazon_bedrock/m/x...", "/model/m%2Fx.../converse"),
        ("amazon_bedrock/a.b:0", "/model/a.b%3A0/converse"),
        (
            "azure_openai/d?api-version=x&",
            "/openai/deployments/d%3Fapi-version%3Dx%26/chat/completions",
        ),
    ],
)
def test_model_id_is_one_encoded_segment(
    sdk: openai.OpenAI, fake_upstream: FakeUpstream, model: str, path: str
) -> None:
    fake_upstream.enqueue(Reply(text="ok"))
    sdk.chat.completions.create(model=model, messages=MESSAGES)
    seen = fake_upstream.last_request
    assert seen.raw_path == path
    assert seen.query_string in ("", "api-version=2025-01-01-preview")


REFUSED = [
    "gemini/..",
    "gemini/.",
    "gemini/../../../v1beta/cachedContents?alt=json&x=",
    "amazon_bedrock/..",
    "azure_openai/../x",
    "amazon_bedrock/m/../../x",
    "gemini/x\x00y",
    "openai/gpt\nx",
    "gemini/\x7f",
    "gemini/" + "a" * 60,
]


@pytest.mark.parametrize("model", REFUSED)
def test_hostile_model_refused_before_upstream(
    sdk: openai.OpenAI, fake_upstream: FakeUpstream, model: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model=model, messages=MESSAGES)
    assert caught.value.status_code == 400
    body: Any = caught.value.body
    assert body["code"] == "invalid_model"
    assert fake_upstream.requests == []


@pytest.mark.parametrize("hint", ["gemini/..", "amazon_bedrock/../x", "gemini/" + "b" * 80])
def test_hostile_hint_refused(sdk: openai.OpenAI, fake_upstream: FakeUpstream, hint: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={HINT: hint}
        )
    assert "x-arch-llm-provider-hint" in caught.value.message
    assert fake_upstream.requests == []


def test_refusal_in_the_anthropic_dialect(gateway: Any, fake_upstream: FakeUpstream) -> None:
    with gateway.anthropic_sdk() as client, pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="gemini/..", max_tokens=8, messages=MESSAGES)
    body: Any = caught.value.body
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert fake_upstream.requests == []


def test_megabyte_model_name_gives_a_small_error(gateway: Any, fake_upstream: FakeUpstream) -> None:
    huge = "gemini/" + "m" * (1024 * 1024)
    status, body = post(gateway.port, {"model": huge, "messages": MESSAGES})
    assert status == 400
    assert b"characters long; the limit is 64" in body
    assert len(body) < 1024
    assert b"mmmmmmmmmm" not in body
    assert fake_upstream.requests == []


def test_megabyte_names_are_clipped_in_errors_and_logs(
    start_gateway: Any, fake_upstream: FakeUpstream, gateway_config: Any
) -> None:
    sink = io.StringIO()
    config = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai-0123456789"},
        default="openai/gpt-4o-mini",
    )
    # A limit above the name's length: the clipping itself is what is tested here.
    lenient = start_gateway(
        config, {"PLANO_LLM_MAX_MODEL_ID_LENGTH": str(4 * MB)}, access_log=AccessLog(sink)
    )
    status, body = post(lenient.port, {"model": "nobody/" + "m" * MB, "messages": MESSAGES})
    assert status == 404
    assert len(body) < 4096
    lenient.call(_flush(lenient))
    lines = sink.getvalue().splitlines()
    assert lines and all(len(line) < 4096 for line in lines)
    assert fake_upstream.requests == []


async def _flush(gateway: Any) -> None:
    for _ in range(100):
        if gateway.metric("llm_gateway_in_flight_requests") == 0:
            break
        await asyncio.sleep(0.01)
    gateway.app.access_log.flush()


def post(port: int, payload: Any, path: str = "/v1/chat/completions") -> tuple[int, bytes]:
    """POST a JSON body (or raw bytes) and return the status and body."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, data, {"content-type": "application/json"})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()
