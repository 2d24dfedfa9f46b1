"""The wire APIs: which ones a client may speak and which ones an upstream may speak."""

from enum import StrEnum

__all__ = [
    "CHAT_COMPLETIONS_PATH",
    "MESSAGES_PATH",
    "RESPONSES_PATH",
    "ClientApi",
    "UpstreamApi",
    "client_api_for_path",
    "same_api",
]

CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
MESSAGES_PATH = "/v1/messages"
RESPONSES_PATH = "/v1/responses"


class ClientApi(StrEnum):
    """An API a client speaks to the gateway."""

    CHAT = "openai_chat_completions"
    MESSAGES = "anthropic_messages"
    RESPONSES = "openai_responses"


class UpstreamApi(StrEnum):
    """An API the gateway speaks to a provider."""

    CHAT = "openai_chat_completions"
    MESSAGES = "anthropic_messages"
    RESPONSES = "openai_responses"
    BEDROCK_CONVERSE = "amazon_bedrock_converse"
    GEMINI = "gemini_generate_content"


_CLIENT_PATHS: dict[str, ClientApi] = {
    CHAT_COMPLETIONS_PATH: ClientApi.CHAT,
    MESSAGES_PATH: ClientApi.MESSAGES,
    RESPONSES_PATH: ClientApi.RESPONSES,
}


def client_api_for_path(path: str) -> ClientApi | None:
    """Return the client API served at an exact request path, or None."""
    return _CLIENT_PATHS.get(path)


def same_api(client: ClientApi, upstream: UpstreamApi) -> bool:
    """True when the upstream speaks the client's own API (pass-through)."""
    return client.value == upstream.value
