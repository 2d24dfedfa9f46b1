"""Table-driven upstream paths for every provider, client API and streaming mode."""

import pytest

from hermesllm.apis import ClientApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import default_endpoint, upstream_path

CHAT, MESSAGES, RESPONSES = ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES
P = ProviderId

AZURE_SUFFIX = "chat/completions?api-version=2025-01-01-preview"
GEMINI_GENERATE = "/v1beta/models/gemini-2.5-pro:generateContent"
GEMINI_STREAM = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"

# provider -> expected path for (Chat, Messages, Responses) clients, non-streaming, no base_url.
DEFAULT_PATHS: dict[ProviderId, tuple[str, str, str]] = {
    P.OPENAI: ("/v1/chat/completions", "/v1/chat/completions", "/v1/responses"),
    P.XIAOMI: ("/v1/chat/completions",) * 3,
    P.MISTRAL: ("/v1/chat/completions",) * 3,
    P.DEEPSEEK: ("/v1/chat/completions",) * 3,
    P.GROQ: ("/openai/v1/chat/completions",) * 3,
    P.GEMINI: (GEMINI_GENERATE,) * 3,
    P.ANTHROPIC: ("/v1/messages",) * 3,
    P.GITHUB: ("/inference/chat/completions",) * 3,
    P.PLANO: ("/v1/chat/completions",) * 3,
    P.AZURE_OPENAI: (f"/openai/deployments/gpt-4o/{AZURE_SUFFIX}",) * 3,
    P.XAI: ("/v1/chat/completions", "/v1/chat/completions", "/v1/responses"),
    P.TOGETHER_AI: ("/v1/chat/completions",) * 3,
    P.OLLAMA: ("/v1/chat/completions",) * 3,
    P.MOONSHOTAI: ("/v1/chat/completions",) * 3,
    P.ZHIPU: ("/api/paas/v4/chat/completions",) * 3,
    P.QWEN: ("/compatible-mode/v1/chat/completions",) * 3,
    P.AMAZON_BEDROCK: ("/model/us.amazon.nova-pro-v1%3A0/converse",) * 3,
    P.CHATGPT: (
        "/backend-api/codex/chat/completions",
        "/backend-api/codex/chat/completions",
        "/backend-api/codex/responses",
    ),
    P.DIGITALOCEAN: ("/v1/chat/completions",) * 3,
    P.VERCEL: ("/v1/chat/completions", "/v1/messages", "/v1/responses"),
    P.OPENROUTER: ("/api/v1/chat/completions",) * 3,
    P.ASTRAFLOW: ("/v1/chat/completions",) * 3,
    P.ASTRAFLOW_CN: ("/v1/chat/completions",) * 3,
    P.META: ("/compat/v1/chat/completions",) * 3,
    P.MINIMAX: ("/v1/chat/completions",) * 3,
    P.EDENAI: ("/v3/chat/completions",) * 3,
}

MODELS = {
    P.GEMINI: "gemini-2.5-pro",
    P.AZURE_OPENAI: "gpt-4o",
    P.AMAZON_BEDROCK: "us.amazon.nova-pro-v1:0",
}


def test_table_covers_every_provider() -> None:
    assert set(DEFAULT_PATHS) == set(ProviderId)


@pytest.mark.parametrize(
    ("provider", "client", "expected"),
    [
        (provider, client, paths[index])
        for provider, paths in DEFAULT_PATHS.items()
        for index, client in enumerate((CHAT, MESSAGES, RESPONSES))
    ],
)
def test_default_path(provider: ProviderId, client: ClientApi, expected: str) -> None:
    model = MODELS.get(provider, "some-model")
    assert upstream_path(provider, client, model, False) == expected
    assert upstream_path(provider, client, model, False, None) == expected
    assert upstream_path(provider, client, model, False, "") == expected
    assert upstream_path(provider, client, model, False, "/") == expected


@pytest.mark.parametrize("provider", list(ProviderId))
def test_default_endpoint_base_path_is_the_default_prefix(provider: ProviderId) -> None:
    endpoint = default_endpoint(provider)
    if endpoint is None:
        return
    model = MODELS.get(provider, "some-model")
    for client in ClientApi:
        for streaming in (False, True):
            assert upstream_path(provider, client, model, streaming, endpoint.base_path) == (
                upstream_path(provider, client, model, streaming)
            )


@pytest.mark.parametrize(
    ("provider", "client", "model", "streaming", "prefix", "expected"),
    [
        # Streaming only changes the path for Bedrock and Gemini.
        (
            P.AMAZON_BEDROCK,
            CHAT,
            "us.amazon.nova-pro-v1:0",
            True,
            None,
            "/model/us.amazon.nova-pro-v1%3A0/converse-stream",
        ),
        (
            P.AMAZON_BEDROCK,
            MESSAGES,
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            False,
            None,
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
        ),
        (
            P.AMAZON_BEDROCK,
            RESPONSES,
            "arn:aws:bedrock:us-east-1:1:inference-profile/x",
            True,
            None,
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/converse-stream",
        ),
        (P.AMAZON_BEDROCK, CHAT, "m", False, "/custom/path", "/custom/path/model/m/converse"),
        (P.GEMINI, CHAT, "gemini-2.5-pro", True, None, GEMINI_STREAM),
        (P.GEMINI, MESSAGES, "models/gemini-2.5-pro", False, None, GEMINI_GENERATE),
        (P.GEMINI, CHAT, "gemini-2.5-pro", False, "/v1beta/openai", GEMINI_GENERATE),
        (P.GEMINI, CHAT, "gemini-2.5-pro", True, "/v1beta/", GEMINI_STREAM),
        (
            P.GEMINI,
            CHAT,
            "gemini-2.5-pro",
            False,
            "/proxy/v1",
            "/proxy/v1/models/gemini-2.5-pro:generateContent",
        ),
        (P.OPENAI, CHAT, "gpt-4o", True, None, "/v1/chat/completions"),
        (P.ANTHROPIC, MESSAGES, "claude-sonnet-4-5", True, None, "/v1/messages"),
        # A base_url prefix (slashes trimmed) replaces the default prefix.
        (P.GROQ, CHAT, "llama", False, "/openai/v1", "/openai/v1/chat/completions"),
        (P.GROQ, CHAT, "llama", False, "/api/v2", "/api/v2/chat/completions"),
        (
            P.ZHIPU,
            CHAT,
            "glm-4.6",
            False,
            "/api/coding/paas/v4",
            "/api/coding/paas/v4/chat/completions",
        ),
        (
            P.ZHIPU,
            CHAT,
            "glm-4.6",
            False,
            "api/coding/paas/v4/",
            "/api/coding/paas/v4/chat/completions",
        ),
        (P.OPENAI, CHAT, "gpt-4", False, "/custom/api/v2", "/custom/api/v2/chat/completions"),
        (P.OPENAI, RESPONSES, "gpt-5", False, "/v1", "/v1/responses"),
        (
            P.MOONSHOTAI,
            MESSAGES,
            "kimi-for-coding",
            False,
            "/coding/v1",
            "/coding/v1/chat/completions",
        ),
        (
            P.QWEN,
            CHAT,
            "qwen-max",
            False,
            "/compatible-mode/v1",
            "/compatible-mode/v1/chat/completions",
        ),
        (
            P.AZURE_OPENAI,
            CHAT,
            "gpt-4-deployment",
            False,
            "/custom/azure/path",
            f"/custom/azure/path/gpt-4-deployment/{AZURE_SUFFIX}",
        ),
        (P.ANTHROPIC, MESSAGES, "claude-3-opus", False, "/api/v2", "/api/v2/messages"),
        (P.ANTHROPIC, CHAT, "claude-3-opus", False, "v1", "/v1/messages"),
        (
            P.CHATGPT,
            RESPONSES,
            "gpt-5.4",
            True,
            "/backend-api/codex",
            "/backend-api/codex/responses",
        ),
        (P.VERCEL, MESSAGES, "anthropic/claude-sonnet-4.5", False, "/v1", "/v1/messages"),
        (P.OPENROUTER, CHAT, "openai/gpt-4o", False, "/api/v1", "/api/v1/chat/completions"),
        (P.OLLAMA, CHAT, "llama3", False, None, "/v1/chat/completions"),
    ],
)
def test_special_paths(
    provider: ProviderId,
    client: ClientApi,
    model: str,
    streaming: bool,
    prefix: str | None,
    expected: str,
) -> None:
    assert upstream_path(provider, client, model, streaming, prefix) == expected


def test_unversioned_paths_drop_the_default_prefix_only() -> None:
    assert (
        upstream_path(P.OPENAI, CHAT, "sonar-pro", False, unversioned=True) == "/chat/completions"
    )
    assert upstream_path(P.OPENAI, CHAT, "sonar-pro", False, None, unversioned=True) == (
        "/chat/completions"
    )
    assert upstream_path(P.OPENAI, CHAT, "sonar-pro", False, "/api", unversioned=True) == (
        "/api/chat/completions"
    )
