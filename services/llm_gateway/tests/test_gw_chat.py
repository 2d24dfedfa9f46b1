"""OpenAI SDK chat completions through the gateway to every kind of upstream."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anthropic
import openai
import pytest

from llm_gateway.sigv4 import AwsCredentials, sign_headers
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply, ToolCall

CLIENT_KEY = "sk-client-secret"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


PROVIDERS = {
    "openai/gpt-4o-mini": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0": "bedrock-api-key",
    "gemini/gemini-2.0-flash": "sk-gemini",
    "azure_openai/gpt-4o-deployment": "sk-azure",
    "groq/llama-3.1-8b-instant": "sk-groq",
}


def special_providers(base_url: str) -> str:
    """SigV4 credentials, client-key passthrough and custom headers."""
    return f"""\
  - model: amazon_bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0
    base_url: {base_url}
    aws:
      access_key_id: AKIDEXAMPLE
      secret_access_key: secret
      session_token: session-token
      region: eu-west-1
  - model: openai/gpt-passthrough
    passthrough_auth: true
    base_url: {base_url}
  - model: openai/gpt-custom-headers
    access_key: sk-custom
    base_url: {base_url}
    http_host: llm.internal.example
    headers:
      ChatGPT-Account-Id: acct-42
  - model: openai/*
    access_key: sk-wildcard
    base_url: {base_url}
"""


ALIASES = (
    "model_aliases:\n"
    "  fast-model:\n    target: claude-sonnet-4-20250514\n"
    "  bedrock-haiku:\n    target: anthropic.claude-3-haiku-20240307-v1:0\n"
    "  gemini-fast:\n    target: gemini-2.0-flash\n"
)


@pytest.fixture(scope="module")
def client(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[openai.OpenAI]:
    config = gateway_config(
        fake_upstream.url,
        PROVIDERS,
        default="openai/gpt-4o-mini",
        listener="    timeout: 30s\n",
        providers=special_providers(fake_upstream.url),
        sections=ALIASES,
    )
    with start_gateway(config).openai_sdk(CLIENT_KEY) as sdk:
        yield sdk


UPSTREAMS = [
    # model, expected path, auth header name, auth value
    ("gpt-4o-mini", "/v1/chat/completions", "authorization", "Bearer sk-openai"),
    ("claude-sonnet-4-20250514", "/v1/messages", "x-api-key", "sk-anthropic"),
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        "authorization",
        "Bearer bedrock-api-key",
    ),
    (
        "gemini-2.0-flash",
        "/v1beta/models/gemini-2.0-flash:generateContent",
        "x-goog-api-key",
        "sk-gemini",
    ),
    (
        "gpt-4o-deployment",
        "/openai/deployments/gpt-4o-deployment/chat/completions",
        "api-key",
        "sk-azure",
    ),
    ("llama-3.1-8b-instant", "/openai/v1/chat/completions", "authorization", "Bearer sk-groq"),
]


def assert_no_client_key(fake: FakeUpstream) -> None:
    for request in fake.requests:
        assert CLIENT_KEY not in json.dumps(request.headers)
        assert CLIENT_KEY.encode() not in request.body


@pytest.mark.parametrize(("model", "path", "header", "value"), UPSTREAMS)
def test_gw_chat_plain(
    client: openai.OpenAI,
    fake_upstream: FakeUpstream,
    model: str,
    path: str,
    header: str,
    value: str,
) -> None:
    fake_upstream.enqueue(Reply(text="Hello from upstream"))
    completion = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "Hello from upstream"
    assert completion.choices[0].finish_reason == "stop"
    seen = fake_upstream.last_request
    assert seen.raw_path == path
    assert seen.headers[header] == value
    assert_no_client_key(fake_upstream)
    assert completion.usage is not None and completion.usage.completion_tokens > 0


@pytest.mark.parametrize(("model", "path", "header", "value"), UPSTREAMS)
def test_gw_chat_stream(
    client: openai.OpenAI,
    fake_upstream: FakeUpstream,
    model: str,
    path: str,
    header: str,
    value: str,
) -> None:
    fake_upstream.enqueue(Reply(text="one two three four"))
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text = ""
    finish = None
    usage = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert text == "one two three four"
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens > 0
    seen = fake_upstream.last_request
    assert seen.stream
    assert seen.headers[header] == value
    assert_no_client_key(fake_upstream)


@pytest.mark.parametrize("model", [u[0] for u in UPSTREAMS])
@pytest.mark.parametrize("stream", [False, True])
def test_gw_chat_parallel_tools(
    client: openai.OpenAI, fake_upstream: FakeUpstream, model: str, stream: bool
) -> None:
    fake_upstream.enqueue(
        Reply(
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Paris"}),
                ToolCall(name="get_weather", arguments={"city": "Tokyo"}),
            ]
        )
    )
    messages: Any = [{"role": "user", "content": "weather in Paris and Tokyo?"}]
    if stream:
        calls: dict[int, dict[str, str]] = {}
        finish = None
        for chunk in client.chat.completions.create(
            model=model, messages=messages, tools=[WEATHER_TOOL], stream=True
        ):
            for choice in chunk.choices:
                finish = choice.finish_reason or finish
                for delta in choice.delta.tool_calls or []:
                    call = calls.setdefault(delta.index, {"id": "", "name": "", "args": ""})
                    call["id"] += delta.id or ""
                    if delta.function is not None:
                        call["name"] += delta.function.name or ""
                        call["args"] += delta.function.arguments or ""
        got = [(c["name"], json.loads(c["args"])) for _, c in sorted(calls.items())]
        assert all(c["id"] for c in calls.values())
    else:
        completion = client.chat.completions.create(
            model=model, messages=messages, tools=[WEATHER_TOOL]
        )
        finish = completion.choices[0].finish_reason
        tool_calls = completion.choices[0].message.tool_calls or []
        got = [(c.function.name, json.loads(c.function.arguments)) for c in tool_calls]
        assert all(c.id for c in tool_calls)
    assert got == [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Tokyo"})]
    assert finish == "tool_calls"
    body = fake_upstream.last_request.json
    assert "get_weather" in json.dumps(body)


def test_gw_chat_translated_bodies(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    messages: Any = [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "hi"},
    ]
    client.chat.completions.create(model="claude-sonnet-4-20250514", messages=messages)
    anthropic_body = fake_upstream.last_request.json
    assert anthropic_body["model"] == "claude-sonnet-4-20250514"
    assert "Be terse." in json.dumps(anthropic_body["system"])
    assert anthropic_body["max_tokens"] > 0
    client.chat.completions.create(
        model="anthropic.claude-3-haiku-20240307-v1:0", messages=messages
    )
    bedrock_body = fake_upstream.last_request.json
    assert bedrock_body["messages"][0]["content"][0]["text"] == "hi"
    assert "model" not in bedrock_body or bedrock_body["model"]
    client.chat.completions.create(model="gemini-2.0-flash", messages=messages)
    gemini_body = fake_upstream.last_request.json
    assert gemini_body["contents"][0]["parts"][0]["text"] == "hi"
    client.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0.3)
    openai_body = fake_upstream.last_request.json
    assert openai_body["messages"] == messages
    assert openai_body["temperature"] == 0.3


def test_gw_chat_bedrock_sigv4(client: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    for stream in (False, True):
        fake_upstream.enqueue(Reply(text="signed"))
        if stream:
            chunks = client.chat.completions.create(
                model="us.anthropic.claude-3-5-haiku-20241022-v1:0",
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
            )
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            completion = client.chat.completions.create(
                model="us.anthropic.claude-3-5-haiku-20241022-v1:0",
                messages=[{"role": "user", "content": "hi"}],
            )
            text = completion.choices[0].message.content or ""
        assert text == "signed"
        seen = fake_upstream.last_request
        suffix = "converse-stream" if stream else "converse"
        assert seen.raw_path.endswith(suffix)
        assert seen.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/eu-west-1/bedrock/aws4_request" in seen.headers["authorization"]
        assert seen.headers["x-amz-security-token"] == "session-token"
        assert seen.headers["authorization"] == resigned(seen)["authorization"]
    assert_no_client_key(fake_upstream)


def resigned(seen: Any) -> dict[str, str]:
    """The SigV4 headers of the request exactly as the upstream received it."""
    moment = datetime.strptime(seen.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return sign_headers(
        method="POST",
        host=seen.headers["host"],
        path=seen.raw_path,
        query=seen.query_string,
        headers={"content-type": seen.headers["content-type"]},
        body=seen.body,
        credentials=AwsCredentials("AKIDEXAMPLE", "secret", "session-token"),
        region="eu-west-1",
        service="bedrock",
        now=moment,
    )


def test_gw_chat_hint_header_and_default(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text="via hint"))
    completion = client.chat.completions.create(
        model="whatever-the-client-says",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-arch-llm-provider-hint": "anthropic/claude-sonnet-4-20250514"},
    )
    assert completion.choices[0].message.content == "via hint"
    assert fake_upstream.last_request.raw_path == "/v1/messages"
    client.chat.completions.create(
        model="x",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-arch-llm-provider-hint": "default"},
    )
    assert fake_upstream.last_request.json["model"] == "gpt-4o-mini"


def test_gw_chat_passthrough_auth_forwards_the_client_key(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    client.chat.completions.create(
        model="gpt-passthrough", messages=[{"role": "user", "content": "hi"}]
    )
    assert fake_upstream.last_request.headers["authorization"] == f"Bearer {CLIENT_KEY}"


def test_gw_chat_provider_headers_and_http_host(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    client.chat.completions.create(
        model="gpt-custom-headers", messages=[{"role": "user", "content": "hi"}]
    )
    seen = fake_upstream.last_request.headers
    assert seen["host"] == "llm.internal.example"
    assert seen["chatgpt-account-id"] == "acct-42"
    assert seen["authorization"] == "Bearer sk-custom"


def test_gw_chat_compressed_upstream_body_is_decoded(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    payload = {
        "id": "chatcmpl-gz",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "squeezed"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    fake_upstream.enqueue(
        Reply(
            body=gzip.compress(json.dumps(payload).encode()), headers={"content-encoding": "gzip"}
        )
    )
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "squeezed"
    fake_upstream.enqueue(
        Reply(
            body=gzip.compress(json.dumps(payload).encode()), headers={"content-encoding": "gzip"}
        )
    )
    message = anthropic.Anthropic(
        base_url=str(client.base_url).removesuffix("/v1/"), api_key="k", max_retries=0
    ).messages.create(
        model="gpt-4o-mini", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content[0].type == "text" and message.content[0].text == "squeezed"


@pytest.mark.parametrize("stream", [False, True])
def test_gw_chat_azure_api_version_and_gemini_sse_query(
    client: openai.OpenAI, fake_upstream: FakeUpstream, stream: bool
) -> None:
    for model in ("gpt-4o-deployment", "gemini-2.0-flash"):
        fake_upstream.enqueue(Reply(text="q"))
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=stream
        )
        if stream:
            assert "".join(c.choices[0].delta.content or "" for c in reply if c.choices) == "q"
        seen = fake_upstream.last_request
        if model == "gpt-4o-deployment":
            assert seen.query["api-version"]
            assert seen.headers["api-key"] == "sk-azure"
        else:
            assert seen.raw_path.endswith(
                ":streamGenerateContent" if stream else ":generateContent"
            )
            assert seen.query == ({"alt": "sse"} if stream else {})
    assert_no_client_key(fake_upstream)


@pytest.mark.parametrize(
    ("alias", "upstream_id"),
    [
        ("fast-model", "claude-sonnet-4-20250514"),
        ("bedrock-haiku", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("gemini-fast", "gemini-2.0-flash"),
    ],
)
def test_gw_chat_reply_names_the_upstream_model_not_the_alias(
    client: openai.OpenAI, alias: str, upstream_id: str
) -> None:
    """Every provider's reply reports the upstream model id, streamed or not (Bedrock's
    answers name no model, so the gateway fills in the same id)."""
    messages: Any = [{"role": "user", "content": "hi"}]
    completion = client.chat.completions.create(model=alias, messages=messages)
    assert completion.model == upstream_id
    stream = client.chat.completions.create(model=alias, messages=messages, stream=True)
    assert {chunk.model for chunk in stream} == {upstream_id}


def test_gw_chat_alias_and_wildcard_models(
    client: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    messages: Any = [{"role": "user", "content": "hi"}]
    fake_upstream.enqueue(Reply(text="aliased"))
    completion = client.chat.completions.create(model="fast-model", messages=messages)
    assert completion.choices[0].message.content == "aliased"
    seen = fake_upstream.last_request
    assert seen.raw_path == "/v1/messages"
    assert seen.json["model"] == "claude-sonnet-4-20250514"
    assert seen.headers["x-api-key"] == "sk-anthropic"
    client.chat.completions.create(model="openai/gpt-9-preview", messages=messages)
    seen = fake_upstream.last_request
    assert seen.raw_path == "/v1/chat/completions"
    assert seen.json["model"] == "gpt-9-preview"
    assert seen.headers["authorization"] == "Bearer sk-wildcard"
    client.chat.completions.create(
        model="ignored",
        messages=messages,
        extra_headers={"x-arch-llm-provider-hint": "openai/gpt-hinted"},
    )
    assert fake_upstream.last_request.json["model"] == "gpt-hinted"
    assert_no_client_key(fake_upstream)
