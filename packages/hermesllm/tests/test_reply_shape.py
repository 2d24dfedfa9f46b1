"""An upstream success body without its API's answer field raises `ReplyShapeError`."""

import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import ReplyShapeError, ResponseParseError
from hermesllm.translate import translate_response_with_usage


@pytest.mark.parametrize(
    ("upstream", "body", "field"),
    [
        (UpstreamApi.CHAT, b"{}", "choices"),
        (UpstreamApi.MESSAGES, b'{"error": {"type": "overloaded"}}', "content"),
        (UpstreamApi.MESSAGES, b'{"content": null}', "content"),
        (UpstreamApi.RESPONSES, b'{"id": "r"}', "output"),
        (UpstreamApi.BEDROCK_CONVERSE, b'{"message": "throttled"}', "output"),
        (UpstreamApi.GEMINI, b'{"error": {"code": 500}}', "candidates` or `promptFeedback"),
    ],
)
def test_missing_answer_field(upstream: UpstreamApi, body: bytes, field: str) -> None:
    client = ClientApi.RESPONSES if upstream is UpstreamApi.CHAT else ClientApi.CHAT
    with pytest.raises(ReplyShapeError) as info:
        translate_response_with_usage(body, upstream, client, model="m")
    assert str(info.value) == f"not a reply of the {upstream.value} API (no `{field}` field)"


@pytest.mark.parametrize("body", [b"<html>proxy 7c1e</html>", b"[1, 2]", b'"text"'])
def test_not_a_json_object(body: bytes) -> None:
    with pytest.raises(ReplyShapeError, match=r"^not a JSON object \(") as info:
        translate_response_with_usage(body, UpstreamApi.MESSAGES, ClientApi.CHAT, model="m")
    assert "7c1e" not in str(info.value)


def test_wrong_field_type_is_a_parse_error_not_a_shape_error() -> None:
    with pytest.raises(ResponseParseError) as info:
        translate_response_with_usage(
            b'{"content": 5}', UpstreamApi.MESSAGES, ClientApi.CHAT, model="m"
        )
    assert not isinstance(info.value, ReplyShapeError)


def test_present_but_empty_answers_still_translate() -> None:
    body, _ = translate_response_with_usage(
        b'{"promptFeedback": {"blockReason": "SAFETY"}}',
        UpstreamApi.GEMINI,
        ClientApi.CHAT,
        model="m",
    )
    assert b'"content_filter"' in body
