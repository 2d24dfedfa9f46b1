"""Error bodies in each client's dialect and upstream errors translated into them."""

import json

import anthropic.types
import openai.types
import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.error_bodies import render_error, translate_error


def test_render_openai_error_has_all_four_fields() -> None:
    body = json.loads(render_error(ClientApi.CHAT, 429, "slow down", code="rate_limit_exceeded"))
    assert body == {
        "error": {
            "message": "slow down",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }


def test_render_anthropic_error() -> None:
    body = json.loads(render_error(ClientApi.MESSAGES, 529, "busy"))
    assert body == {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    anthropic.types.ErrorResponse.model_validate(body)


@pytest.mark.parametrize(
    ("status", "chat_type", "messages_type"),
    [
        (400, "invalid_request_error", "invalid_request_error"),
        (401, "authentication_error", "authentication_error"),
        (403, "permission_error", "permission_error"),
        (404, "not_found_error", "not_found_error"),
        (413, "invalid_request_error", "request_too_large"),
        (429, "rate_limit_error", "rate_limit_error"),
        (500, "server_error", "api_error"),
        (502, "server_error", "api_error"),
        (504, "server_error", "timeout_error"),
    ],
)
def test_default_type_from_status(status: int, chat_type: str, messages_type: str) -> None:
    assert json.loads(render_error(ClientApi.RESPONSES, status, "m"))["error"]["type"] == chat_type
    messages_error = json.loads(render_error(ClientApi.MESSAGES, status, "m"))["error"]
    assert messages_error["type"] == messages_type


def test_explicit_type_and_param_win() -> None:
    body = json.loads(
        render_error(ClientApi.CHAT, 400, "bad", error_type="invalid_model", param="model")
    )
    assert body["error"]["type"] == "invalid_model"
    assert body["error"]["param"] == "model"
    openai.types.ErrorObject.model_validate(body["error"])


UPSTREAM_ERRORS = [
    (
        UpstreamApi.CHAT,
        400,
        {"error": {"message": "bad model", "type": "invalid_request_error", "code": "x"}},
        "bad model",
        ("invalid_request_error", "invalid_request_error"),
    ),
    (
        UpstreamApi.MESSAGES,
        529,
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        "Overloaded",
        ("server_error", "overloaded_error"),
    ),
    (
        UpstreamApi.BEDROCK_CONVERSE,
        429,
        {"message": "Too many requests", "__type": "ThrottlingException"},
        "Too many requests",
        ("rate_limit_error", "rate_limit_error"),
    ),
    (
        UpstreamApi.BEDROCK_CONVERSE,
        400,
        {"Message": "Malformed input request"},
        "Malformed input request",
        ("invalid_request_error", "invalid_request_error"),
    ),
    (
        UpstreamApi.GEMINI,
        403,
        {"error": {"code": 403, "message": "API key invalid", "status": "PERMISSION_DENIED"}},
        "API key invalid",
        ("permission_error", "permission_error"),
    ),
    (
        UpstreamApi.GEMINI,
        429,
        [{"error": {"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}}],
        "Quota",
        ("rate_limit_error", "rate_limit_error"),
    ),
    (
        UpstreamApi.CHAT,
        422,
        {"detail": "field required"},
        "field required",
        ("invalid_request_error", "invalid_request_error"),
    ),
    (
        UpstreamApi.CHAT,
        400,
        {"error": "plain string error"},
        "plain string error",
        ("invalid_request_error", "invalid_request_error"),
    ),
]


@pytest.mark.parametrize(("upstream", "status", "body", "message", "kinds"), UPSTREAM_ERRORS)
@pytest.mark.parametrize("client", list(ClientApi))
def test_translate_error_keeps_message(
    upstream: UpstreamApi,
    status: int,
    body: object,
    message: str,
    kinds: tuple[str, str],
    client: ClientApi,
) -> None:
    result = json.loads(translate_error(json.dumps(body).encode(), status, upstream, client))
    assert result["error"]["message"] == message
    if client is ClientApi.MESSAGES:
        anthropic.types.ErrorResponse.model_validate(result)
        assert result["error"]["type"] == kinds[1]
    else:
        openai.types.ErrorObject.model_validate(result["error"])
        assert result["error"]["type"] == kinds[0]


def test_plain_text_error_becomes_the_message() -> None:
    result = json.loads(
        translate_error(b"upstream connect error\n", 503, UpstreamApi.CHAT, ClientApi.MESSAGES)
    )
    assert result == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "upstream connect error"},
    }


def test_empty_body_names_the_status() -> None:
    result = json.loads(translate_error(b"", 502, UpstreamApi.GEMINI, ClientApi.CHAT))
    assert result["error"]["message"] == "upstream returned HTTP 502"


def test_same_dialect_is_returned_unchanged() -> None:
    body = b'{"error":{"message":"m","type":"t","param":null,"code":null,"extra":1}}'
    assert translate_error(body, 400, UpstreamApi.CHAT, ClientApi.CHAT) == body
    anthropic_body = b'{"type":"error","error":{"type":"api_error","message":"m"},"request_id":"r"}'
    assert (
        translate_error(anthropic_body, 500, UpstreamApi.MESSAGES, ClientApi.MESSAGES)
        == anthropic_body
    )
