"""SigV4 signing against the published AWS signature-v4 test suite vectors."""

from datetime import UTC, datetime
from typing import Any

import pytest

from llm_gateway.sigv4 import AwsCredentials, sign_headers

CREDENTIALS = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"


def sign(**overrides: Any) -> dict[str, str]:
    """Sign a request of the AWS test suite, with `overrides` of its defaults."""
    values: dict[str, Any] = {
        "method": "POST",
        "host": "example.amazonaws.com",
        "path": "/",
        "query": "",
        "headers": {},
        "body": b"",
        "credentials": CREDENTIALS,
        "region": "us-east-1",
        "service": "service",
        "now": WHEN,
    }
    values.update(overrides)
    return sign_headers(**values)


@pytest.mark.parametrize(
    ("method", "query", "extra", "signed", "signature"),
    [
        (
            "POST",
            "",
            {},
            "host;x-amz-date",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
        (
            "GET",
            "",
            {},
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "GET",
            "Param2=value2&Param1=value1",
            {},
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    ],
)
def test_gw_sigv4_matches_the_aws_test_suite(
    method: str, query: str, extra: dict[str, str], signed: str, signature: str
) -> None:
    headers = sign(method=method, query=query, headers=extra)
    assert headers["x-amz-date"] == "20150830T123600Z"
    assert headers["authorization"] == (
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders={signed}, Signature={signature}"
    )


def test_gw_sigv4_header_sort_vector() -> None:
    headers = sign(headers={"My-Header1": "value1"})
    assert "SignedHeaders=host;my-header1;x-amz-date," in headers["authorization"]
    assert (
        "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf1"
        in (headers["authorization"])
    )


def test_gw_sigv4_session_token_is_signed_and_sent() -> None:
    creds = AwsCredentials(CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key, "tok")
    headers = sign(
        host="bedrock-runtime.us-east-1.amazonaws.com",
        path="/model/m/converse",
        headers={"content-type": "application/json"},
        body=b"{}",
        credentials=creds,
        service="bedrock",
    )
    assert headers["x-amz-security-token"] == "tok"
    assert (
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"
        in (headers["authorization"])
    )
    assert "/us-east-1/bedrock/aws4_request" in headers["authorization"]
