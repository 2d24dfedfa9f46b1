"""SigV4 signing against the AWS signature-v4 test suite vectors and botocore's signer."""

from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

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


# --- Bedrock paths: `:` in a model id is sent as %3A and signed as %253A -----------------------

BEDROCK_HOST = "bedrock-runtime.us-east-1.amazonaws.com"
BEDROCK_PATH = "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
BEDROCK_BODY = b'{"messages":[]}'
BEDROCK_CREDENTIALS = AwsCredentials(
    CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key, "session-token"
)
BEDROCK_WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def sign_bedrock(path: str) -> dict[str, str]:
    return sign(
        host=BEDROCK_HOST,
        path=path,
        headers={"content-type": "application/json"},
        body=BEDROCK_BODY,
        credentials=BEDROCK_CREDENTIALS,
        service="bedrock",
        now=BEDROCK_WHEN,
    )


def botocore_authorization(path: str) -> str:
    """The Authorization header botocore's own SigV4 signer computes for the same request."""
    request = AWSRequest(
        method="POST",
        url=f"https://{BEDROCK_HOST}{path}",
        data=BEDROCK_BODY,
        headers={"content-type": "application/json"},
    )
    credentials = Credentials(
        BEDROCK_CREDENTIALS.access_key_id,
        BEDROCK_CREDENTIALS.secret_access_key,
        BEDROCK_CREDENTIALS.session_token,
    )
    now = BEDROCK_WHEN.replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        SigV4Auth(credentials, "bedrock", "us-east-1").add_auth(request)
    return str(request.headers["Authorization"])


def test_gw_sigv4_bedrock_double_encoded_path_matches_a_fixed_vector() -> None:
    # Computed once with botocore 1.44 (SigV4Auth, service "bedrock") for this exact request.
    expected = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
        "Signature=46fb7265833bc3247aca2f18f8ade42164e5798ea90ec06baecc0e2b5bab7d1c"
    )
    assert sign_bedrock(BEDROCK_PATH)["authorization"] == expected
    # Signing the path encoded only once gives another signature, which AWS would refuse.
    single = sign_bedrock(BEDROCK_PATH.replace("%3A", ":"))["authorization"]
    assert single != expected


@pytest.mark.parametrize(
    "path",
    [
        BEDROCK_PATH,
        "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream",
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fp/converse",
        "/model/meta.llama3-70b-instruct-v1%3A0/converse",
        "/model/m~x_y.z/converse",
    ],
)
def test_gw_sigv4_bedrock_paths_agree_with_botocore(path: str) -> None:
    assert sign_bedrock(path)["authorization"] == botocore_authorization(path)
