"""The provider registry: which API each provider speaks, where it lives, and its paths.

Path rule (every provider): an upstream path is ``/{prefix}/{suffix}``. The prefix is the
``base_url`` path prefix with its slashes trimmed; when that is absent or empty, the
provider's default prefix (``default_path_prefix``) is used instead. A base_url prefix
therefore *replaces* the default one, never extends it: a Groq base_url of
``https://api.groq.com/openai/v1`` gives ``/openai/v1/chat/completions``, and an Azure
base_url path replaces ``/openai/deployments``. The suffix depends on the upstream API:

- Chat Completions: ``chat/completions`` (Azure: ``{deployment}/chat/completions?api-version=…``)
- Anthropic Messages: ``messages``
- OpenAI Responses: ``responses``
- Bedrock: ``model/{model}/converse`` or ``model/{model}/converse-stream``
- Gemini: ``models/{model}:generateContent`` or ``models/{model}:streamGenerateContent?alt=sse``

A model id (Azure: the deployment) always becomes exactly one path segment: every character
other than ``A-Z a-z 0-9 - _ . ~`` is percent-encoded (``:`` → ``%3A`` as AWS requires, ``/``
→ ``%2F``, ``?`` → ``%3F``, ``#`` → ``%23``, spaces and non-ASCII as UTF-8 escapes), and a
bare ``.`` or ``..`` is encoded as ``%2E``/``%2E%2E`` so it can never be a dot-segment.

For the native Gemini API a trailing ``openai`` segment is dropped from the base_url prefix,
so a base_url written for Gemini's OpenAI-compatible endpoint
(``…/v1beta/openai``) still reaches ``/v1beta/models/…``.

``unversioned=True`` (OpenAI-compatible services such as Perplexity that serve
``/chat/completions`` at the root) makes the default prefix empty for every provider; a
base_url prefix still wins.
"""

from typing import Final
from urllib.parse import quote

import msgspec

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.provider_ids import ProviderId

__all__ = [
    "ANTHROPIC_VERSION",
    "AZURE_API_VERSION",
    "ProviderEndpoint",
    "auth_headers",
    "default_endpoint",
    "default_path_prefix",
    "model_path_segment",
    "requires_base_url",
    "upstream_api_for",
    "upstream_path",
]

AZURE_API_VERSION: Final = "2025-01-01-preview"
ANTHROPIC_VERSION: Final = "2023-06-01"


class ProviderEndpoint(msgspec.Struct, frozen=True):
    """Where a provider is reached by default: scheme, host, port and base path.

    ``base_path`` equals the default path prefix upstream_path uses for the provider's own
    API, so passing it as ``base_url_path_prefix`` yields the same paths as passing None.
    """

    scheme: str
    host: str
    port: int
    base_path: str


def _https(host: str, base_path: str) -> ProviderEndpoint:
    return ProviderEndpoint(scheme="https", host=host, port=443, base_path=base_path)


_DEFAULT_ENDPOINTS: Final[dict[ProviderId, ProviderEndpoint]] = {
    ProviderId.OPENAI: _https("api.openai.com", "/v1"),
    ProviderId.XIAOMI: _https("api.xiaomimimo.com", "/v1"),
    ProviderId.MISTRAL: _https("api.mistral.ai", "/v1"),
    ProviderId.DEEPSEEK: _https("api.deepseek.com", "/v1"),
    ProviderId.GROQ: _https("api.groq.com", "/openai/v1"),
    ProviderId.GEMINI: _https("generativelanguage.googleapis.com", "/v1beta"),
    ProviderId.ANTHROPIC: _https("api.anthropic.com", "/v1"),
    ProviderId.GITHUB: _https("models.github.ai", "/inference"),
    ProviderId.XAI: _https("api.x.ai", "/v1"),
    ProviderId.TOGETHER_AI: _https("api.together.xyz", "/v1"),
    ProviderId.MOONSHOTAI: _https("api.moonshot.ai", "/v1"),
    ProviderId.ZHIPU: _https("open.bigmodel.cn", "/api/paas/v4"),
    ProviderId.CHATGPT: _https("chatgpt.com", "/backend-api/codex"),
    ProviderId.DIGITALOCEAN: _https("inference.do-ai.run", "/v1"),
    ProviderId.VERCEL: _https("ai-gateway.vercel.sh", "/v1"),
    ProviderId.OPENROUTER: _https("openrouter.ai", "/api/v1"),
    ProviderId.META: _https("api.llama.com", "/compat/v1"),
    ProviderId.MINIMAX: _https("api.minimax.io", "/v1"),
    ProviderId.EDENAI: _https("api.edenai.run", "/v3"),
}

_BASE_URL_REQUIRED: Final = frozenset(
    {
        ProviderId.AZURE_OPENAI,
        ProviderId.OLLAMA,
        ProviderId.QWEN,
        ProviderId.AMAZON_BEDROCK,
        ProviderId.PLANO,
        ProviderId.ASTRAFLOW,
        ProviderId.ASTRAFLOW_CN,
    }
)

_PREFIXES_OF_PROVIDERS_WITHOUT_DEFAULT_HOST: Final[dict[ProviderId, str]] = {
    ProviderId.AZURE_OPENAI: "openai/deployments",
    ProviderId.QWEN: "compatible-mode/v1",
    ProviderId.AMAZON_BEDROCK: "",
}

_RESPONSES_NATIVE: Final = frozenset(
    {ProviderId.OPENAI, ProviderId.XAI, ProviderId.CHATGPT, ProviderId.VERCEL}
)


def requires_base_url(provider: ProviderId) -> bool:
    """True when the provider has no default host and its configuration must give base_url."""
    return provider in _BASE_URL_REQUIRED


def default_endpoint(provider: ProviderId) -> ProviderEndpoint | None:
    """The provider's default endpoint, or None when it requires a base_url."""
    return _DEFAULT_ENDPOINTS.get(provider)


def upstream_api_for(provider: ProviderId, client: ClientApi) -> UpstreamApi:
    """The API the gateway speaks to `provider` for a request in the `client` API.

    Streaming does not change the API (Bedrock Converse and ConverseStream are one API with
    two paths; `upstream_path` picks the path).
    """
    if provider is ProviderId.ANTHROPIC:
        return UpstreamApi.MESSAGES
    if provider is ProviderId.AMAZON_BEDROCK:
        return UpstreamApi.BEDROCK_CONVERSE
    if provider is ProviderId.GEMINI:
        return UpstreamApi.GEMINI
    if client is ClientApi.RESPONSES and provider in _RESPONSES_NATIVE:
        return UpstreamApi.RESPONSES
    if client is ClientApi.MESSAGES and provider is ProviderId.VERCEL:
        return UpstreamApi.MESSAGES
    return UpstreamApi.CHAT


def default_path_prefix(
    provider: ProviderId, upstream: UpstreamApi, *, unversioned: bool = False
) -> str:
    """The provider's path prefix (no surrounding slashes) used when base_url has no path."""
    if unversioned:
        return ""
    if provider is ProviderId.GEMINI and upstream is UpstreamApi.CHAT:
        return "v1beta/openai"
    endpoint = _DEFAULT_ENDPOINTS.get(provider)
    if endpoint is not None:
        return endpoint.base_path.strip("/")
    if provider in _PREFIXES_OF_PROVIDERS_WITHOUT_DEFAULT_HOST:
        return _PREFIXES_OF_PROVIDERS_WITHOUT_DEFAULT_HOST[provider]
    return "v1"


def upstream_path(
    provider: ProviderId,
    client: ClientApi,
    model: str,
    streaming: bool,
    base_url_path_prefix: str | None = None,
    *,
    unversioned: bool = False,
) -> str:
    """The path (and query string, if any) of the upstream request for a client request.

    `model` is the model id sent upstream (Azure: the deployment name). See the module
    docstring for the prefix rule.
    """
    upstream = upstream_api_for(provider, client)
    prefix = (base_url_path_prefix or "").strip("/")
    if upstream is UpstreamApi.GEMINI and (prefix == "openai" or prefix.endswith("/openai")):
        prefix = prefix.removesuffix("openai").rstrip("/")
    if not prefix:
        prefix = default_path_prefix(provider, upstream, unversioned=unversioned)
    suffix = _path_suffix(provider, upstream, model, streaming)
    return f"/{prefix}/{suffix}" if prefix else f"/{suffix}"


def model_path_segment(model: str) -> str:
    """``model`` as one fully percent-encoded path segment (see the module docstring)."""
    encoded = quote(model, safe="-_.~")
    if encoded in (".", ".."):
        return encoded.replace(".", "%2E")
    return encoded


def _path_suffix(provider: ProviderId, upstream: UpstreamApi, model: str, streaming: bool) -> str:
    if upstream is UpstreamApi.MESSAGES:
        return "messages"
    if upstream is UpstreamApi.RESPONSES:
        return "responses"
    if upstream is UpstreamApi.BEDROCK_CONVERSE:
        action = "converse-stream" if streaming else "converse"
        return f"model/{model_path_segment(model)}/{action}"
    if upstream is UpstreamApi.GEMINI:
        name = model_path_segment(model.removeprefix("models/"))
        if streaming:
            return f"models/{name}:streamGenerateContent?alt=sse"
        return f"models/{name}:generateContent"
    if provider is ProviderId.AZURE_OPENAI:
        deployment = model_path_segment(model)
        return f"{deployment}/chat/completions?api-version={AZURE_API_VERSION}"
    return "chat/completions"


def auth_headers(provider: ProviderId, upstream: UpstreamApi, api_key: str) -> dict[str, str]:
    """The headers that carry `api_key` to the provider for the given upstream API.

    Amazon Bedrock here means a Bedrock API key (bearer); AWS SigV4 signing is separate.
    """
    if provider is ProviderId.ANTHROPIC:
        return {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}
    if upstream is UpstreamApi.GEMINI:
        return {"x-goog-api-key": api_key}
    if provider is ProviderId.AZURE_OPENAI:
        return {"api-key": api_key}
    headers = {"authorization": f"Bearer {api_key}"}
    if upstream is UpstreamApi.MESSAGES:
        headers["anthropic-version"] = ANTHROPIC_VERSION
    return headers
