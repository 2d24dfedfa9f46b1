"""Misbehaving upstreams: echoed credentials are masked, 502s disclose neither the upstream's
address nor its raw bytes, and a 200 of the wrong shape is a 502 rather than an empty reply."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.raw_server import RawServer
from plano_testkit.reply import Reply

MESSAGES: Any = [{"role": "user", "content": "hi"}]
KEYS = {
    "openai/gpt-4o-mini": "sk-openai-secret-0123456789",
    "anthropic/claude-sonnet-4-20250514": "sk-ant-secret-0123456789",
    "gemini/gemini-2.0-flash": "AIza-gemini-secret-0123456789",
}
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDOSESSIONTOKEN"
CLIENT_KEY = "client-own-key-0123456789"
JUNK = b"SSH-2.0-internal-junk-3f9a1c\r\n\r\n"


class JunkServer(RawServer):
    """Answers every request with bytes that are not HTTP."""

    def answer(self, connection: socket.socket) -> None:
        connection.recv(65536)
        connection.sendall(JUNK)


JUNK_SERVER = JunkServer()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


UNREACHABLE_PORT = closed_port()


def extra_providers(base_url: str) -> str:
    return f"""\
  - model: amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0
    base_url: {base_url}
    aws:
      access_key_id: AKIDEXAMPLE
      secret_access_key: {AWS_SECRET}
      session_token: {AWS_TOKEN}
      region: eu-west-1
  - model: openai/gpt-passthrough
    passthrough_auth: true
    base_url: {base_url}
  - model: openai/gpt-unreachable
    access_key: sk-x
    base_url: http://127.0.0.1:{UNREACHABLE_PORT}
  - model: openai/gpt-junk
    access_key: sk-x
    base_url: http://127.0.0.1:{JUNK_SERVER.port}
"""


@pytest.fixture(scope="module")
def gateway(fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any) -> Any:
    config = gateway_config(
        fake_upstream.url,
        KEYS,
        default="openai/gpt-4o-mini",
        listener="    timeout: 5s\n",
        providers=extra_providers(fake_upstream.url),
    )
    return start_gateway(config)


@pytest.fixture(scope="module")
def oa(gateway: Any) -> Iterator[openai.OpenAI]:
    with gateway.openai_sdk(CLIENT_KEY) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def an(gateway: Any) -> Iterator[anthropic.Anthropic]:
    with gateway.anthropic_sdk(CLIENT_KEY) as sdk:
        yield sdk


def echo(secret: str) -> str:
    return f"Incorrect API key provided: {secret}. Find your key at https://example.invalid"


@pytest.mark.parametrize(("model", "key"), list(KEYS.items()))
def test_echoed_provider_key_is_masked(
    oa: openai.OpenAI, an: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str, key: str
) -> None:
    fake_upstream.enqueue(Reply.error(401, echo(key)), Reply.error(401, echo(key)))
    with pytest.raises(openai.AuthenticationError) as oa_info:
        oa.chat.completions.create(model=model, messages=MESSAGES)
    with pytest.raises(anthropic.AuthenticationError) as an_info:
        an.messages.create(model=model, max_tokens=8, messages=MESSAGES)
    for info in (oa_info, an_info):
        text = info.value.response.text
        assert key not in text
        assert "Incorrect API key provided: ***" in text


@pytest.mark.parametrize("secret", [AWS_SECRET, AWS_TOKEN])
def test_echoed_aws_secrets_are_masked(
    oa: openai.OpenAI, fake_upstream: FakeUpstream, secret: str
) -> None:
    fake_upstream.enqueue(Reply.error(403, f"signature mismatch for {secret}"))
    with pytest.raises(openai.PermissionDeniedError) as info:
        oa.chat.completions.create(
            model="anthropic.claude-3-haiku-20240307-v1:0", messages=MESSAGES
        )
    text = info.value.response.text
    assert secret not in text
    assert secret.replace("/", "\\/") not in text


def test_echoed_passthrough_key_is_masked(oa: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    fake_upstream.enqueue(Reply.error(401, echo(CLIENT_KEY)))
    with pytest.raises(openai.AuthenticationError) as info:
        oa.chat.completions.create(model="gpt-passthrough", messages=MESSAGES)
    assert fake_upstream.last_request.headers["authorization"] == f"Bearer {CLIENT_KEY}"
    assert CLIENT_KEY not in info.value.response.text


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-20250514"])
def test_echoed_key_in_a_stream_error_event_is_masked(
    oa: openai.OpenAI, fake_upstream: FakeUpstream, model: str
) -> None:
    key = KEYS["openai/gpt-4o-mini"] if model == "gpt-4o-mini" else KEYS[f"anthropic/{model}"]
    fake_upstream.enqueue(
        Reply(text="one two three", error_after_events=2, error_message=echo(key))
    )
    with oa.chat.completions.with_streaming_response.create(
        model=model, messages=MESSAGES, stream=True
    ) as response:
        raw = b"".join(response.iter_bytes())
    assert key.encode() not in raw
    assert b"***" in raw


def test_unreachable_upstream_address_is_not_disclosed(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        oa.chat.completions.create(model="gpt-unreachable", messages=MESSAGES)
    assert info.value.status_code == 502
    text = info.value.response.text
    assert "upstream connection failed" in text
    assert str(UNREACHABLE_PORT) not in text
    assert "127.0.0.1" not in text


def test_raw_upstream_bytes_are_not_disclosed(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        oa.chat.completions.create(model="gpt-junk", messages=MESSAGES)
    assert info.value.status_code == 502
    text = info.value.response.text
    assert "invalid response" in text
    assert "internal-junk" not in text
    assert "SSH" not in text
    assert str(JUNK_SERVER.port) not in text


def test_redirect_location_is_not_disclosed(oa: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    location = "http://10.1.2.3:8443/internal/v1/chat/completions"
    fake_upstream.enqueue(Reply(status=307, body=b"", headers={"location": location}))
    with pytest.raises(openai.InternalServerError, match="redirects are not followed") as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "10.1.2.3" not in info.value.response.text


@pytest.mark.parametrize(
    ("model", "body"),
    [
        ("gpt-4o-mini", b"<html>internal proxy page 7c1e</html>"),
        ("claude-sonnet-4-20250514", b"<html>internal proxy page 7c1e</html>"),
        ("claude-sonnet-4-20250514", b'{"unexpected": "internal proxy page 7c1e"}'),
    ],
)
def test_unusable_success_body_is_a_terse_502(
    oa: openai.OpenAI, fake_upstream: FakeUpstream, model: str, body: bytes
) -> None:
    fake_upstream.enqueue(Reply(body=body, content_type="text/html"))
    with pytest.raises(openai.InternalServerError) as info:
        oa.chat.completions.create(model=model, messages=MESSAGES)
    assert info.value.status_code == 502
    assert "7c1e" not in info.value.response.text
    assert "text/html" not in info.value.response.text


@pytest.mark.parametrize(
    ("model", "body"),
    [
        ("claude-sonnet-4-20250514", b"{}"),
        ("claude-sonnet-4-20250514", b'{"error": {"type": "overloaded", "message": "busy"}}'),
        ("gemini-2.0-flash", b'{"error": {"code": 500}}'),
        ("anthropic.claude-3-haiku-20240307-v1:0", b'{"message": "throttled"}'),
    ],
)
def test_wrong_shape_success_for_a_translated_api_is_502(
    oa: openai.OpenAI, an: anthropic.Anthropic, fake_upstream: FakeUpstream, model: str, body: bytes
) -> None:
    fake_upstream.enqueue(Reply(body=body))
    with pytest.raises(openai.InternalServerError) as info:
        oa.chat.completions.create(model=model, messages=MESSAGES)
    assert info.value.status_code == 502
    assert "upstream answered 200 with a body that is not a reply of the" in info.value.message
    assert "API (no `" in info.value.message
    if model != "claude-sonnet-4-20250514":
        fake_upstream.enqueue(Reply(body=body))
        with pytest.raises(anthropic.InternalServerError) as an_info:
            an.messages.create(model=model, max_tokens=8, messages=MESSAGES)
        assert an_info.value.status_code == 502


def test_well_shaped_replies_still_pass(oa: openai.OpenAI, fake_upstream: FakeUpstream) -> None:
    for model in ("claude-sonnet-4-20250514", "gemini-2.0-flash"):
        fake_upstream.enqueue(Reply(text="fine"))
        reply = oa.chat.completions.create(model=model, messages=MESSAGES)
        assert reply.choices[0].message.content == "fine"
