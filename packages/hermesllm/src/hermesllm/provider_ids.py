"""Provider identifiers and their aliases (case-insensitive)."""

from enum import StrEnum

__all__ = ["ProviderId", "parse_provider_id"]


class ProviderId(StrEnum):
    """A provider the gateway knows how to reach."""

    OPENAI = "openai"
    XIAOMI = "xiaomi"
    MISTRAL = "mistral"
    DEEPSEEK = "deepseek"
    GROQ = "groq"
    GEMINI = "gemini"
    ANTHROPIC = "anthropic"
    GITHUB = "github"
    PLANO = "plano"
    AZURE_OPENAI = "azure_openai"
    XAI = "xai"
    TOGETHER_AI = "together_ai"
    OLLAMA = "ollama"
    MOONSHOTAI = "moonshotai"
    ZHIPU = "zhipu"
    QWEN = "qwen"
    AMAZON_BEDROCK = "amazon_bedrock"
    CHATGPT = "chatgpt"
    DIGITALOCEAN = "digitalocean"
    VERCEL = "vercel"
    OPENROUTER = "openrouter"
    ASTRAFLOW = "astraflow"
    ASTRAFLOW_CN = "astraflow_cn"
    META = "meta"
    MINIMAX = "minimax"
    EDENAI = "edenai"


_ALIASES: dict[str, ProviderId] = {
    "google": ProviderId.GEMINI,
    "together": ProviderId.TOGETHER_AI,
    "amazon": ProviderId.AMAZON_BEDROCK,
    "do": ProviderId.DIGITALOCEAN,
    "do_ai": ProviderId.DIGITALOCEAN,
}
_BY_NAME: dict[str, ProviderId] = {p.value: p for p in ProviderId} | _ALIASES


def parse_provider_id(name: str) -> ProviderId | None:
    """Return the provider named `name` (an id or an alias, any case), or None."""
    return _BY_NAME.get(name.lower())
