"""The shared guards against hostile input: model ids, secret scrubbing, forwarding headers,
bounded error messages."""

from __future__ import annotations

import time

import msgspec
import pytest

from hermesllm.apis import ClientApi
from plano_common.errors import MAX_MESSAGE_LENGTH, BadRequest
from plano_common.forwarded import TrustedProxies, is_forwarding_header
from plano_common.model_ids import InvalidModelIdError, check_model_id
from plano_common.secret_scrub import SecretScrubber, secret_forms


@pytest.mark.parametrize(
    "model", ["gpt-4o", "gemini/x:countTokens#", "a b/ü", "...", "a..b", "us.anthropic.c-3:0"]
)
def test_usable_model_ids_pass(model: str) -> None:
    assert check_model_id(model) == model


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("..", "path segment"),
        (".", "path segment"),
        ("../x", "path segment"),
        ("a/./b", "path segment"),
        ("a/..", "path segment"),
        ("x\x00y", "control character"),
        ("x\ny", "control character"),
        ("x\x85y", "control character"),
        ("x\ud800y", "control character"),
        ("m" * 257, "257 characters long; the limit is 256"),
    ],
)
def test_hostile_model_ids_refused(model: str, reason: str) -> None:
    with pytest.raises(InvalidModelIdError) as caught:
        check_model_id(model)
    assert reason in caught.value.message
    assert caught.value.status == 400
    assert len(model) < 5 or model not in caught.value.message


def test_model_id_limit_and_source_are_configurable() -> None:
    with pytest.raises(BadRequest, match="the hint header is 11 characters long; the limit is 10"):
        check_model_id("x" * 11, max_length=10, source="the hint header", param=None)


def test_scrubber_masks_raw_and_json_escaped_secrets() -> None:
    aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    scrubber = SecretScrubber(["sk-proj-abcdef0123456789", aws_secret, "EMPTY", None, ""])
    body = msgspec.json.encode(
        {"error": {"message": f"Incorrect API key provided: sk-proj-abcdef0123456789 {aws_secret}"}}
    )
    escaped = body.replace(b"/", b"\\/")
    for data in (body, escaped):
        out = scrubber.scrub(data)
        assert b"sk-proj-abcdef0123456789" not in out
        assert b"K7MDENG" not in out
        assert out.count(b"***") == 2
    assert scrubber.scrub(b"EMPTY stays") == b"EMPTY stays"
    passthrough = secret_forms("client-key-42-abcdef")
    assert scrubber.scrub(b"bad key client-key-42-abcdef", passthrough) == b"bad key ***"
    assert SecretScrubber([]).empty
    assert SecretScrubber(["x" * 8]).scrub(b"xxxxxxxx") == b"***"


def test_scrubber_is_linear_on_large_bodies() -> None:
    secrets = [f"sk-{index:04d}-0123456789abcdef" for index in range(200)]
    scrubber = SecretScrubber(secrets)
    data = b"sk-0000-0123456789abcde " * 40_000  # near misses, about 1 MB
    started = time.perf_counter()
    assert scrubber.scrub(data) == data
    assert time.perf_counter() - started < 5.0


def test_forwarding_headers_dropped_unless_the_peer_is_trusted() -> None:
    headers = {
        "x-forwarded-for": "1.2.3.4",
        "x-forwarded-host": "evil",
        "forwarded": "for=1.2.3.4",
        "x-real-ip": "1.2.3.4",
        "user-agent": "ua",
    }
    nobody = TrustedProxies.parse("")
    assert nobody.filter(headers, "10.0.0.5") == {"user-agent": "ua"}
    proxies = TrustedProxies.parse("10.0.0.0/8, ::1")
    assert proxies.filter(headers, "10.0.0.5") is headers
    assert proxies.filter(headers, "::1") is headers
    assert proxies.filter(headers, "192.168.0.1") == {"user-agent": "ua"}
    assert proxies.filter(headers, None) == {"user-agent": "ua"}
    assert TrustedProxies.parse("*").trusts("203.0.113.9")
    assert is_forwarding_header("x-forwarded-proto")
    assert not is_forwarding_header("x-forward")
    with pytest.raises(ValueError, match="PLANO_TRUSTED_PROXIES: 'nope'"):
        TrustedProxies.parse("10.0.0.1, nope")


def test_error_messages_are_clipped() -> None:
    error = BadRequest("Model '" + "m" * 1_000_000 + "' not found")
    assert len(error.message) < MAX_MESSAGE_LENGTH + 32
    assert len(error.render(ClientApi.CHAT)) < MAX_MESSAGE_LENGTH + 256
