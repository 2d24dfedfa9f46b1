"""Provider registry: upstream API choice, default endpoints, base_url requirements, auth."""

import pytest

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import (
    ProviderEndpoint,
    auth_headers,
    default_endpoint,
    requires_base_url,
    upstream_api_for,
)

P = ProviderId
CHAT, MESSAGES, RESPONSES = ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES
U = UpstreamApi


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (P.ANTHROPIC, (U.MESSAGES, U.MESSAGES, U.MESSAGES)),
        (P.VERCEL, (U.CHAT, U.MESSAGES, U.RESPONSES)),
        (P.OPENAI, (U.CHAT, U.CHAT, U.RESPONSES)),
        (P.XAI, (U.CHAT, U.CHAT, U.RESPONSES)),
        (P.CHATGPT, (U.CHAT, U.CHAT, U.RESPONSES)),
        (P.AMAZON_BEDROCK, (U.BEDROCK_CONVERSE,) * 3),
        (P.GEMINI, (U.GEMINI,) * 3),
        *[
            (provider, (U.CHAT,) * 3)
            for provider in ProviderId
            if provider
            not in {P.ANTHROPIC, P.VERCEL, P.OPENAI, P.XAI, P.CHATGPT, P.AMAZON_BEDROCK, P.GEMINI}
        ],
    ],
)
def test_upstream_api_for(provider: ProviderId, expected: tuple[UpstreamApi, ...]) -> None:
    for client, upstream in zip((CHAT, MESSAGES, RESPONSES), expected, strict=True):
        assert upstream_api_for(provider, client) is upstream


BASE_URL_REQUIRED = {
    P.AZURE_OPENAI,
    P.OLLAMA,
    P.QWEN,
    P.AMAZON_BEDROCK,
    P.PLANO,
    P.ASTRAFLOW,
    P.ASTRAFLOW_CN,
}


@pytest.mark.parametrize("provider", list(ProviderId))
def test_default_endpoint_exists_exactly_when_base_url_is_optional(provider: ProviderId) -> None:
    endpoint = default_endpoint(provider)
    assert requires_base_url(provider) is (provider in BASE_URL_REQUIRED)
    assert (endpoint is None) is requires_base_url(provider)
    if endpoint is not None:
        assert endpoint.scheme == "https"
        assert endpoint.port == 443
        assert endpoint.base_path.startswith("/")
        assert not endpoint.base_path.endswith("/")


@pytest.mark.parametrize(
    ("provider", "host", "base_path"),
    [
        (P.OPENAI, "api.openai.com", "/v1"),
        (P.ANTHROPIC, "api.anthropic.com", "/v1"),
        (P.DEEPSEEK, "api.deepseek.com", "/v1"),
        (P.XAI, "api.x.ai", "/v1"),
        (P.MOONSHOTAI, "api.moonshot.ai", "/v1"),
        (P.ZHIPU, "open.bigmodel.cn", "/api/paas/v4"),
        (P.TOGETHER_AI, "api.together.xyz", "/v1"),
        (P.GEMINI, "generativelanguage.googleapis.com", "/v1beta"),
        (P.GROQ, "api.groq.com", "/openai/v1"),
        (P.MISTRAL, "api.mistral.ai", "/v1"),
        (P.DIGITALOCEAN, "inference.do-ai.run", "/v1"),
        (P.XIAOMI, "api.xiaomimimo.com", "/v1"),
        (P.VERCEL, "ai-gateway.vercel.sh", "/v1"),
        (P.OPENROUTER, "openrouter.ai", "/api/v1"),
        (P.EDENAI, "api.edenai.run", "/v3"),
        (P.CHATGPT, "chatgpt.com", "/backend-api/codex"),
    ],
)
def test_default_hosts(provider: ProviderId, host: str, base_path: str) -> None:
    assert default_endpoint(provider) == ProviderEndpoint("https", host, 443, base_path)


def test_auth_headers() -> None:
    assert auth_headers(P.ANTHROPIC, U.MESSAGES, "k") == {
        "x-api-key": "k",
        "anthropic-version": "2023-06-01",
    }
    assert auth_headers(P.GEMINI, U.GEMINI, "k") == {"x-goog-api-key": "k"}
    assert auth_headers(P.AZURE_OPENAI, U.CHAT, "k") == {"api-key": "k"}
    assert auth_headers(P.OPENAI, U.CHAT, "k") == {"authorization": "Bearer k"}
    assert auth_headers(P.AMAZON_BEDROCK, U.BEDROCK_CONVERSE, "k") == {"authorization": "Bearer k"}
    assert auth_headers(P.VERCEL, U.MESSAGES, "k") == {
        "authorization": "Bearer k",
        "anthropic-version": "2023-06-01",
    }
