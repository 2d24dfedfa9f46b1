"""Gateway error hierarchy and its OpenAI / Anthropic renderings."""

from __future__ import annotations

import json

import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.error_bodies import translate_error
from plano_common import errors


def _decode(body: bytes) -> dict[str, object]:
    decoded = json.loads(body)
    assert isinstance(decoded, dict)
    return decoded


@pytest.mark.parametrize(
    ("error", "status", "openai_type", "anthropic_type"),
    [
        (errors.BadRequest("bad"), 400, "invalid_request_error", "invalid_request_error"),
        (errors.Unauthorized(), 401, "authentication_error", "authentication_error"),
        (errors.NotFound(), 404, "not_found_error", "not_found_error"),
        (errors.ModelNotFound("gpt-9"), 404, "not_found_error", "not_found_error"),
        (errors.PayloadTooLarge(), 413, "invalid_request_error", "request_too_large"),
        (errors.RateLimited(retry_after=2), 429, "rate_limit_error", "rate_limit_error"),
        (errors.InternalError(), 500, "server_error", "api_error"),
        (errors.BadGateway(), 502, "server_error", "api_error"),
        (errors.ServiceUnavailable(), 503, "server_error", "overloaded_error"),
        (errors.GatewayTimeout(), 504, "server_error", "timeout_error"),
    ],
)
def test_status_and_types(
    error: errors.GatewayError, status: int, openai_type: str, anthropic_type: str
) -> None:
    assert error.status == status
    assert isinstance(error, errors.GatewayError)
    for client in (ClientApi.CHAT, ClientApi.RESPONSES):
        body = _decode(error.render(client))
        assert body == {
            "error": {
                "message": error.message,
                "type": openai_type,
                "param": error.param,
                "code": error.code,
            }
        }
    assert _decode(error.render(ClientApi.MESSAGES)) == {
        "type": "error",
        "error": {"type": anthropic_type, "message": error.message},
    }


def test_explicit_fields_win() -> None:
    error = errors.BadRequest(
        "temperature too high", error_type="invalid_value", code="bad_temp", param="temperature"
    )
    assert _decode(error.render(ClientApi.CHAT))["error"] == {
        "message": "temperature too high",
        "type": "invalid_value",
        "param": "temperature",
        "code": "bad_temp",
    }
    assert _decode(error.render(ClientApi.MESSAGES))["error"] == {
        "type": "invalid_value",
        "message": "temperature too high",
    }


def test_model_not_found_names_model_and_fix() -> None:
    error = errors.ModelNotFound("gpt-9", available=["openai/gpt-4o", "claude", "claude"])
    assert error.status == 404
    assert error.model == "gpt-9"
    assert "'gpt-9'" in error.message
    assert "claude, openai/gpt-4o" in error.message
    assert "model_providers" in error.message
    assert error.code == "model_not_found"
    assert isinstance(error, errors.NotFound)


@pytest.mark.parametrize(("retry_after", "header"), [(0.2, "1"), (1.0, "1"), (2.01, "3")])
def test_rate_limited_retry_after(retry_after: float, header: str) -> None:
    error = errors.RateLimited("limit hit", retry_after=retry_after)
    assert error.headers == {"retry-after": header}
    assert errors.RateLimited().headers == {}
    assert errors.BadRequest().headers == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"error":{"message":"Incorrect API key","type":"invalid_request_error"}}',
            "Incorrect API key",
        ),
        (
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            "Overloaded",
        ),
        (
            b'{"message":"The security token included in the request is invalid."}',
            "The security token included in the request is invalid.",
        ),
        (b'{"Message":"Bedrock says no"}', "Bedrock says no"),
        (
            b'[{"error":{"code":400,"message":"Gemini bad","status":"INVALID_ARGUMENT"}}]',
            "Gemini bad",
        ),
        (b'{"error":"plain string error"}', "plain string error"),
        (
            b"upstream connect error or disconnect/reset",
            "upstream connect error or disconnect/reset",
        ),
        (b'{"weird":1}', '{"weird":1}'),
    ],
)
def test_upstream_error_message(body: bytes, message: str) -> None:
    """An upstream's error body reaches each client dialect with its message (the gateway
    relays upstream errors through `translate_error`)."""
    for client in (ClientApi.MESSAGES, ClientApi.CHAT):
        rendered = _decode(translate_error(body, 400, UpstreamApi.CHAT, client))
        assert rendered["error"]["message"] == message  # type: ignore[index]


def test_upstream_error_without_body_keeps_status() -> None:
    chat = _decode(translate_error(b"", 503, UpstreamApi.GEMINI, ClientApi.CHAT))
    assert chat["error"] == {  # message and type from the status alone
        **chat["error"],  # type: ignore[dict-item]
        "message": "upstream returned HTTP 503",
        "type": "server_error",
    }
    messages = _decode(translate_error(b"", 503, UpstreamApi.GEMINI, ClientApi.MESSAGES))
    assert messages["error"]["type"] == "overloaded_error"  # type: ignore[index]


def test_status_override_does_not_leak_to_class() -> None:
    errors.GatewayError("teapot", status=418)
    assert errors.GatewayError.status == 500
    assert errors.GatewayError().status == 500
