"""Hostile request bodies and headers: 400 in the client's dialect (never a 500 with a
traceback), and client-claimed forwarding headers dropped unless the peer is a trusted proxy."""

from __future__ import annotations

import json
import logging
from http.client import HTTPConnection
from typing import Any

import pytest

from llm_gateway.settings import SettingsError, settings_from
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

MESSAGES: Any = [{"role": "user", "content": "hi"}]
FORWARDING = {
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-host": "admin.internal",
    "x-forwarded-proto": "https",
    "forwarded": "for=203.0.113.7;proto=https",
    "x-real-ip": "203.0.113.7",
}


@pytest.fixture(scope="module")
def config(fake_upstream: FakeUpstream, gateway_config: Any) -> str:
    text: str = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai-0123456789", "anthropic/*": "sk-ant-0123456789"},
        default="openai/gpt-4o-mini",
    )
    return text


@pytest.fixture(scope="module")
def gateway(start_gateway: Any, config: str) -> Any:
    return start_gateway(config)


def post(
    port: int, body: bytes, path: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST", path, body, {"content-type": "application/json", **(headers or {})}
        )
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def nested(depth: int) -> bytes:
    content = b"[" * depth + b"]" * depth
    return b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "x": ' + (
        content + b"}"
    )


def deep_message(depth: int, model: str) -> bytes:
    """A message whose content nests `depth` levels of objects (walked by translators)."""
    inner = '{"type": "text", "text": "hi", "n": ' * depth + "1" + "}" * depth
    return (
        f'{{"model": "{model}", "max_tokens": 8, '
        f'"messages": [{{"role": "user", "content": [{inner}]}}]}}'
    ).encode()


BODIES = {
    "invalid-utf8": b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "'
    + b'\xff\xfe"}]}',
    "nul-in-model": b'{"model": "gpt\\u0000x", "messages": []}',
    "nesting-5000": nested(5000),
    "nesting-100000": nested(100_000),
}


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/responses"])
@pytest.mark.parametrize("name", BODIES)
def test_hostile_body_is_400_in_the_client_dialect(
    gateway: Any,
    fake_upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
    path: str,
    name: str,
) -> None:
    with caplog.at_level(logging.ERROR):
        status, body = post(gateway.port, BODIES[name], path)
    assert status == 400, body
    if path == "/v1/messages":
        assert body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
    else:
        assert body["error"]["type"] == "invalid_request_error"
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert fake_upstream.requests == []


@pytest.mark.parametrize("depth", [900, 960, 990])
@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1/chat/completions", "claude-x"),
        ("/v1/messages", "gpt-4o-mini"),
        ("/v1/responses", "claude-x"),
    ],
)
def test_nesting_just_below_the_parser_limit_never_500s(
    gateway: Any,
    caplog: pytest.LogCaptureFixture,
    fake_upstream: FakeUpstream,
    path: str,
    model: str,
    depth: int,
) -> None:
    fake_upstream.enqueue(Reply(text="ok"))
    body = deep_message(depth, f"anthropic/{model}" if model == "claude-x" else model)
    if path == "/v1/responses":
        body = body.replace(b'"messages"', b'"input"')
    with caplog.at_level(logging.ERROR):
        status, answer = post(gateway.port, body, path)
    assert status in (200, 400), answer
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def forwarded_seen(fake_upstream: FakeUpstream) -> dict[str, str]:
    headers = fake_upstream.last_request.headers
    return {name: headers[name] for name in FORWARDING if name in headers}


def test_forwarding_headers_dropped_from_untrusted_clients(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text="ok"))
    payload = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES}).encode()
    status, _ = post(gateway.port, payload, "/v1/chat/completions", {**FORWARDING, "x-kept": "1"})
    assert status == 200
    assert forwarded_seen(fake_upstream) == {}
    assert fake_upstream.last_request.headers["x-kept"] == "1"


def test_forwarding_headers_pass_from_a_trusted_proxy(
    start_gateway: Any, config: str, fake_upstream: FakeUpstream
) -> None:
    trusting = start_gateway(config, {"PLANO_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"})
    fake_upstream.enqueue(Reply(text="ok"))
    payload = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES}).encode()
    status, _ = post(trusting.port, payload, "/v1/chat/completions", FORWARDING)
    assert status == 200
    assert forwarded_seen(fake_upstream) == FORWARDING


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLANO_TRUSTED_PROXIES": "10.0.0.1, proxy.local"}, "PLANO_TRUSTED_PROXIES"),
        ({"PLANO_LLM_MAX_MODEL_ID_LENGTH": "0"}, "PLANO_LLM_MAX_MODEL_ID_LENGTH"),
        ({"PLANO_METRICS_WILDCARD_MODELS": "many"}, "PLANO_METRICS_WILDCARD_MODELS"),
    ],
)
def test_bad_hardening_knobs_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from(
            listener_timeout=None,
            listener_max_retries=None,
            connect_timeout=None,
            tls_ca_path=None,
            environ=environ,
        )
