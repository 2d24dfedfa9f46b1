"""Secret masking in logs (text and JSON) and configure_logging."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from plano_common.logs import (
    JsonFormatter,
    SecretMaskingFilter,
    configure_logging,
    mask_header_value,
    mask_text,
    mask_value,
)

SECRETS = [
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUV",
    "AIzaSyA1234567890abcdefghijklmnopqrstu",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "FwoGZXIvYXdzEJr//////////wEaDOSESSIONTOKEN",
    "hunter2secret",
]


def test_bearer_masking_like_the_original() -> None:
    assert mask_header_value("Authorization", "Bearer 1234") == "Bearer ***"
    assert mask_header_value("authorization", "Basic dXNlcjpwYXNz") == "***"
    assert mask_header_value(":path", "/healthz") == "/healthz"
    assert mask_header_value(":method", "POST") == "POST"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer sk-abc.def", "Authorization: Bearer ***"),
        ("authorization=Bearer abc123", "authorization=Bearer ***"),
        ("{'authorization': 'Bearer tok'}", "{'authorization': 'Bearer ***'}"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: ***"),
        ("x-api-key: hunter2secret", "x-api-key: ***"),
        ('{"x-api-key": "hunter2secret", "a": 1}', '{"x-api-key": "***", "a": 1}'),
        ("api-key=hunter2secret&x=1", "api-key=***&x=1"),
        ("'x-goog-api-key': 'hunter2secret'", "'x-goog-api-key': '***'"),
        ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key=***"),
        ("X-Amz-Security-Token: FwoGZXIvYXdz", "X-Amz-Security-Token: ***"),
        ("id AKIAIOSFODNN7EXAMPLE used", "id AKIAIOSF*** used"),
        (
            "GET https://g.example/v1/models?key=hunter2secret&alt=sse",
            "GET https://g.example/v1/models?key=***&alt=sse",
        ),
        ("https://x/y?a=1&api_key=hunter2secret", "https://x/y?a=1&api_key=***"),
        (
            "https://s3/obj?X-Amz-Credential=AKIA%2F20250101&X-Amz-Signature=abcdef0123",
            "https://s3/obj?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        ("key sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUV", "key sk-ant-***"),
        (
            "[('x-api-key', 'hunter2secret'), ('authorization', 'Basic dXNlcjpwYXNz')]",
            "[('x-api-key', '***'), ('authorization', '***')]",
        ),
        ("[(b'api-key', b'hunter2secret')]", "[(b'api-key', b'***')]"),
        ('{"access_key": "key with spaces"}', '{"access_key": "***"}'),
        ("postgresql://plano:hunter2secret@db:5432/x", "postgresql://plano:***@db:5432/x"),
        ("redis://:hunter2secret@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "Credential=AKIAIOSFODNN7EXAMPLE/x, SignedHeaders=host, Signature=0123abcd",
            "Credential=AKIAIOSF***/x, SignedHeaders=host, Signature=***",
        ),
        ("api_key, then a token", "api_key, then a token"),
        ("nothing secret here: 42 tokens", "nothing secret here: 42 tokens"),
        ("Bearer ***", "Bearer ***"),
    ],
)
def test_mask_text(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert mask_text(expected) == expected


def test_mask_value_header_pairs() -> None:
    pairs = [("Authorization", "Basic dXNlcjpwYXNz"), (b"x-api-key", b"k"), ("accept", "*/*")]
    assert mask_value(pairs) == [["Authorization", "***"], ["x-api-key", "***"], ["accept", "*/*"]]


def test_mask_value_stringifies_other_objects() -> None:
    class Upstream:
        def __str__(self) -> str:
            return "Upstream(url=https://h/v1?key=hunter2secret)"

    assert mask_value({"upstream": Upstream(), "n": 3, "ok": True, "none": None}) == {
        "upstream": "Upstream(url=https://h/v1?key=***",
        "n": 3,
        "ok": True,
        "none": None,
    }


def test_mask_value_nested() -> None:
    headers = {
        "Authorization": "Bearer sk-live",
        "X-Api-Key": "hunter2secret",
        "content-type": "application/json",
        "nested": [{"aws_secret_access_key": "wJalrXUtnFEMI"}],
        "password": 12345,
    }
    assert mask_value(headers) == {
        "Authorization": "Bearer ***",
        "X-Api-Key": "***",
        "content-type": "application/json",
        "nested": [{"aws_secret_access_key": "***"}],
        "password": "***",
    }


@pytest.fixture
def stream_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretMaskingFilter())
    handler.setFormatter(logging.Formatter("%(message)s %(extra_headers)s"))
    logger = logging.getLogger("test_logs.masked")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def test_filter_masks_args_and_extra(stream_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = stream_logger
    logger.info(
        "upstream headers %s to %s",
        {"authorization": "Bearer sk-proj-abcdefghijklmnopqrstuvwxyz012345"},
        "https://x?key=hunter2secret",
        extra={"extra_headers": {"x-api-key": "hunter2secret"}},
    )
    output = stream.getvalue()
    for secret in SECRETS:
        assert secret not in output
    assert "Bearer ***" in output
    assert "key=***" in output
    assert "'x-api-key': '***'" in output


def test_filter_masks_exception_text(stream_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = stream_logger
    try:
        raise RuntimeError("connect failed for Authorization: Bearer topsecrettoken")
    except RuntimeError:
        logger.exception("boom", extra={"extra_headers": None})
    output = stream.getvalue()
    assert "topsecrettoken" not in output
    assert "RuntimeError" in output


def _capture_root(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    return stream


def test_configure_logging_json_lines(restore_root: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _capture_root(monkeypatch)
    configure_logging("llm_gateway", level="DEBUG", json=True)
    logging.getLogger("plano.test").info(
        "routing to %s", "https://h/v1?key=hunter2secret", extra={"request_id": "r-1", "n": 3}
    )
    lines = [line for line in stream.getvalue().splitlines() if line]
    entry = json.loads(lines[-1])
    assert entry["level"] == "INFO"
    assert entry["logger"] == "plano.test"
    assert entry["service"] == "llm_gateway"
    assert entry["message"] == "routing to https://h/v1?key=***"
    assert entry["request_id"] == "r-1"
    assert entry["n"] == 3
    assert entry["ts"].endswith("+00:00")


def test_configure_logging_text_is_default_and_idempotent(
    restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANO_LOG_FORMAT", raising=False)
    stream = _capture_root(monkeypatch)
    configure_logging("brightstaff")
    configure_logging("brightstaff")
    logging.getLogger("plano.text").warning("key x-api-key: hunter2secret")
    output = stream.getvalue()
    assert output.count("hunter2") == 0
    assert output.count("x-api-key: ***") == 1
    assert "brightstaff WARNING plano.text" in output


def test_configure_logging_json_from_environment(
    restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANO_LOG_FORMAT", "json")
    stream = _capture_root(monkeypatch)
    configure_logging("prompt_gateway")
    logging.getLogger("plano.env").error("hello")
    assert json.loads(stream.getvalue().splitlines()[-1])["message"] == "hello"


def test_loggers_with_their_own_handlers_are_masked(
    restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _capture_root(monkeypatch)
    configure_logging("llm_gateway")
    own = io.StringIO()
    access = logging.getLogger("test_logs.access")
    access.propagate = False
    handler = logging.StreamHandler(own)
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        access.info('%s "GET %s"', "127.0.0.1", "/v1/models?key=hunter2secret")
    finally:
        access.removeHandler(handler)
    assert "hunter2secret" not in own.getvalue()
    assert "key=***" in own.getvalue()


def test_json_formatter_handles_unencodable_extras() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.obj = object()
    entry = json.loads(JsonFormatter("svc").format(record))
    assert entry["obj"].startswith("<object object")


def test_json_lines_mask_exceptions_with_tracebacks(
    restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = _capture_root(monkeypatch)
    configure_logging("llm_gateway", json=True)
    headers = [("x-api-key", "hunter2secret")]
    try:
        raise ConnectionError(f"upstream refused {headers} via postgresql://u:hunter2secret@db/x")
    except ConnectionError:
        logging.getLogger("plano.exc").exception("call failed")
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert "hunter2secret" not in stream.getvalue()
    assert "Traceback" in entry["exc"] and "('x-api-key', '***')" in entry["exc"]
