"""Upstream headers: credentials per provider, passthrough, hygiene, SigV4 for Bedrock."""

from __future__ import annotations

import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.provider_ids import ProviderId
from llm_gateway.auth import (
    DEFAULT_SIGNING_REGION,
    ProviderAuth,
    UpstreamTarget,
    build_upstream_headers,
    client_credential,
)
from llm_gateway.routes import RouteTable
from plano_common.config import load_config_text
from plano_common.errors import BadRequest

CLIENT = {
    "authorization": "Bearer sk-client",
    "x-api-key": "sk-client-x",
    "api-key": "sk-client-azure",
    "x-goog-api-key": "sk-client-goog",
    "content-length": "12",
    "host": "gateway:12001",
    "connection": "keep-alive, x-hop",
    "x-hop": "1",
    "keep-alive": "timeout=5",
    "x-arch-llm-provider-hint": "openai/gpt-4o",
    "x-arch-ratelimit-selector": "x-user",
    "anthropic-beta": "tools-2024",
    "openai-organization": "org-client",
    "user-agent": "sdk/1.0",
    "x-request-id": "rid",
    "cookie": "session=1",
}
TARGET = UpstreamTarget("https", "api.example.com", 443, "/v1/chat/completions", "")


def auth(provider: ProviderId, **overrides: object) -> ProviderAuth:
    values: dict[str, object] = {
        "name": f"{provider.value}/m",
        "provider_id": provider,
        "access_key": "sk-config",
        "passthrough": False,
        "has_base_url": False,
        "extra_headers": {},
    }
    values.update(overrides)
    return ProviderAuth(**values)  # type: ignore[arg-type]


def test_gw_openai_bearer_replaces_client_credentials_and_drops_hop_by_hop() -> None:
    headers = build_upstream_headers(auth(ProviderId.OPENAI), UpstreamApi.CHAT, CLIENT, TARGET, b"")
    assert headers["authorization"] == "Bearer sk-config"
    for gone in ("x-api-key", "content-length", "connection", "x-hop", "keep-alive", "cookie"):
        assert gone not in headers
    assert not any(name.startswith("x-arch-") for name in headers)
    assert "anthropic-beta" not in headers
    assert "openai-organization" not in headers
    assert headers["host"] == "api.example.com"
    assert headers["user-agent"] == "sdk/1.0"
    assert headers["x-request-id"] == "rid"
    assert "sk-client" not in repr(headers)


def test_gw_anthropic_uses_x_api_key_and_version() -> None:
    headers = build_upstream_headers(
        auth(ProviderId.ANTHROPIC), UpstreamApi.MESSAGES, CLIENT, TARGET, b""
    )
    assert headers["x-api-key"] == "sk-config"
    assert headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers
    assert headers["anthropic-beta"] == "tools-2024"


@pytest.mark.parametrize(
    ("provider", "upstream", "name", "value"),
    [
        (ProviderId.AZURE_OPENAI, UpstreamApi.CHAT, "api-key", "sk-config"),
        (ProviderId.GEMINI, UpstreamApi.GEMINI, "x-goog-api-key", "sk-config"),
        (ProviderId.GROQ, UpstreamApi.CHAT, "authorization", "Bearer sk-config"),
        (
            ProviderId.AMAZON_BEDROCK,
            UpstreamApi.BEDROCK_CONVERSE,
            "authorization",
            "Bearer sk-config",
        ),
    ],
)
def test_gw_provider_key_headers(
    provider: ProviderId, upstream: UpstreamApi, name: str, value: str
) -> None:
    headers = build_upstream_headers(auth(provider), upstream, CLIENT, TARGET, b"")
    assert headers[name] == value
    assert "sk-client" not in repr(headers)


def test_gw_passthrough_forwards_the_client_key_in_the_upstream_scheme() -> None:
    provider = auth(ProviderId.ANTHROPIC, access_key=None, passthrough=True)
    headers = build_upstream_headers(
        provider, UpstreamApi.MESSAGES, {"authorization": "Bearer sk-mine"}, TARGET, b""
    )
    assert headers["x-api-key"] == "sk-mine"
    assert "authorization" not in headers
    openai = auth(ProviderId.OPENAI, access_key=None, passthrough=True)
    headers = build_upstream_headers(openai, UpstreamApi.CHAT, {"x-api-key": "k2"}, TARGET, b"")
    assert headers["authorization"] == "Bearer k2"


def test_gw_missing_key_without_base_url_is_a_400_naming_the_provider() -> None:
    with pytest.raises(BadRequest, match="openai/m"):
        build_upstream_headers(
            auth(ProviderId.OPENAI, access_key=None), UpstreamApi.CHAT, CLIENT, TARGET, b""
        )
    headers = build_upstream_headers(
        auth(ProviderId.OLLAMA, access_key=None, has_base_url=True),
        UpstreamApi.CHAT,
        CLIENT,
        TARGET,
        b"",
    )
    assert "authorization" not in headers


def test_gw_extra_headers_and_http_host() -> None:
    target = UpstreamTarget("http", "10.0.0.1", 8080, "/v1/chat/completions", "", "llm.internal")
    provider = auth(ProviderId.OPENAI, extra_headers={"ChatGPT-Account-Id": "acct"})
    headers = build_upstream_headers(provider, UpstreamApi.CHAT, {}, target, b"")
    assert headers["host"] == "llm.internal"
    assert headers["ChatGPT-Account-Id"] == "acct"
    plain = UpstreamTarget("http", "10.0.0.1", 8080, "/x", "")
    assert build_upstream_headers(provider, UpstreamApi.CHAT, {}, plain, b"")["host"] == (
        "10.0.0.1:8080"
    )


BEDROCK_CONFIG = """
version: v0.4.0
listeners: [{{type: model, name: m, port: 12000}}]
model_providers:
  - model: amazon_bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0
    base_url: {base_url}
    aws: {{access_key_id: AKID, secret_access_key: secret, session_token: token}}
"""


@pytest.mark.parametrize(
    ("base_url", "region"),
    [
        ("https://bedrock-runtime.eu-west-1.amazonaws.com", "eu-west-1"),
        ("https://vpce-0a1b2c3d-4e5f.bedrock-runtime.us-east-1.vpce.amazonaws.com", "us-east-1"),
        ("https://bedrock-runtime.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("http://127.0.0.1:9999", "us-west-2"),
    ],
)
def test_gw_bedrock_sigv4_signs_for_the_region_the_config_resolved(
    base_url: str, region: str
) -> None:
    text = BEDROCK_CONFIG.format(base_url=base_url)
    config = load_config_text(text, environ={"AWS_REGION": "us-west-2"})
    provider = config.model_providers[0]
    assert provider.aws is not None and provider.aws.region == region
    route = RouteTable(config, {}).route_for(provider)
    target = route.target(ClientApi.CHAT, False)
    headers = build_upstream_headers(
        route.auth, UpstreamApi.BEDROCK_CONVERSE, CLIENT, target, b"{}"
    )
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert f"/{region}/bedrock/aws4_request" in headers["authorization"]
    assert headers["x-amz-security-token"] == "token"
    assert "x-amz-date" in headers


def test_gw_bedrock_without_any_region_signs_for_the_default() -> None:
    text = BEDROCK_CONFIG.format(base_url="http://127.0.0.1:9999")
    config = load_config_text(text, environ={})
    route = RouteTable(config, {}).route_for(config.model_providers[0])
    target = route.target(ClientApi.CHAT, False)
    headers = build_upstream_headers(
        route.auth, UpstreamApi.BEDROCK_CONVERSE, CLIENT, target, b"{}"
    )
    assert f"/{DEFAULT_SIGNING_REGION}/bedrock/aws4_request" in headers["authorization"]


def test_gw_client_credential_forms() -> None:
    assert client_credential({"authorization": "Bearer abc"}) == "abc"
    assert client_credential({"x-api-key": "k"}) == "k"
    assert client_credential({"x-goog-api-key": "g"}) == "g"
    assert client_credential({}) is None
