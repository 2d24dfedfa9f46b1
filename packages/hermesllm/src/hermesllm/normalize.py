"""Provider-specific fixes applied to an upstream request body just before it is sent.

The body is the decoded JSON object in the *upstream* API's shape (after translation).
Every rule here is keyed on the provider, the upstream API and the model id sent upstream
(without any provider prefix). Rules only remove or rewrite fields a provider is known to
reject; they never add fields a client did not ask for, except where a provider requires
them (the ChatGPT Codex backend).

Rules:

- Chat Completions: ``stream_options`` is dropped unless ``stream`` is true (OpenAI rejects
  it on non-streaming requests).
- OpenAI reasoning models (``o1*``, ``o3*``, ``o4*``) over Chat Completions: ``max_tokens``
  moves to ``max_completion_tokens`` (an existing ``max_completion_tokens`` wins) and the
  sampling fields these models reject are dropped.
- GPT-5 reasoning models (``gpt-5*`` except the ``*-chat*`` variants) over Chat Completions:
  ``max_tokens`` moves to ``max_completion_tokens``; a ``temperature`` the client sent is
  forced to ``1.0`` (the only value these models accept). An absent temperature stays
  absent, which the provider treats as 1.0.
- xAI over Chat Completions: ``web_search_options`` (the deprecated live-search shape) is
  dropped.
- Kimi Code (``kimi-for-coding``): over Chat Completions drops ``stream_options``,
  ``reasoning_effort``, ``web_search_options``, ``service_tier`` and ``store``; over
  Messages drops ``thinking``.
- Moonshot's own API serving Kimi K3 (``kimi-k3``): drops the pinned sampling fields
  (``temperature``, ``top_p``, ``n``, ``presence_penalty``, ``frequency_penalty``) and maps
  ``reasoning_effort`` onto ``low``/``high``/``max`` (unknown values are dropped).
- ChatGPT (Codex backend) over Responses: the Codex base instructions are prepended to
  ``instructions`` (once), ``store`` is ``false``, ``stream`` is ``true`` and ``input`` is a
  list. An explicit ``stream: false`` is rejected with UnsupportedConversionError, because
  the backend only streams.
"""

import re
from typing import Any, Final

from hermesllm.apis import UpstreamApi
from hermesllm.errors import UnsupportedConversionError
from hermesllm.provider_ids import ProviderId

__all__ = [
    "CHATGPT_BASE_INSTRUCTIONS",
    "base_model_name",
    "is_gpt5_reasoning_model",
    "is_openai_reasoning_model",
    "normalize_for_upstream",
]

CHATGPT_BASE_INSTRUCTIONS: Final = (
    "You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI "
    "on a user's computer."
)

_O_SERIES = re.compile(r"o[134](?:-|$)")
_GPT5_REASONING = re.compile(r"gpt-5(?!.*-chat)")
_O_SERIES_UNSUPPORTED: Final = (
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
)
_KIMI_CODE_CHAT_UNSUPPORTED: Final = (
    "stream_options",
    "reasoning_effort",
    "web_search_options",
    "service_tier",
    "store",
)
_KIMI_K3_PINNED: Final = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty")
_KIMI_K3_EFFORTS: Final = {
    "none": "low",
    "minimal": "low",
    "low": "low",
    "medium": "high",
    "high": "high",
    "max": "max",
}


def base_model_name(model: str) -> str:
    """The model id without a vendor prefix (``openai/o3-mini`` -> ``o3-mini``), lower case."""
    return model.rsplit("/", 1)[-1].lower()


def is_openai_reasoning_model(model: str) -> bool:
    """True for OpenAI o-series models (o1, o3, o4 and their variants)."""
    return _O_SERIES.match(base_model_name(model)) is not None


def is_gpt5_reasoning_model(model: str) -> bool:
    """True for GPT-5 family reasoning models (``gpt-5``, ``gpt-5-mini``, ``gpt-5.1``...)."""
    return _GPT5_REASONING.match(base_model_name(model)) is not None


def normalize_for_upstream(
    body: dict[str, Any], provider: ProviderId, upstream: UpstreamApi, model: str
) -> None:
    """Apply the provider's request fixes to an upstream request body, in place."""
    if upstream is UpstreamApi.CHAT:
        _normalize_chat(body, provider, model)
    elif upstream is UpstreamApi.MESSAGES:
        if model == "kimi-for-coding":
            body.pop("thinking", None)
    elif upstream is UpstreamApi.RESPONSES and provider is ProviderId.CHATGPT:
        _normalize_chatgpt_responses(body)


def _normalize_chat(body: dict[str, Any], provider: ProviderId, model: str) -> None:
    if body.get("stream") is not True:
        body.pop("stream_options", None)
    if is_openai_reasoning_model(model):
        _move_max_tokens(body)
        for field in _O_SERIES_UNSUPPORTED:
            body.pop(field, None)
    elif is_gpt5_reasoning_model(model):
        _move_max_tokens(body)
        if "temperature" in body:
            body["temperature"] = 1.0
    if provider is ProviderId.XAI:
        body.pop("web_search_options", None)
    if model == "kimi-for-coding":
        for field in _KIMI_CODE_CHAT_UNSUPPORTED:
            body.pop(field, None)
    if provider is ProviderId.MOONSHOTAI and model == "kimi-k3":
        for field in _KIMI_K3_PINNED:
            body.pop(field, None)
        _map_kimi_k3_effort(body)


def _move_max_tokens(body: dict[str, Any]) -> None:
    max_tokens = body.pop("max_tokens", None)
    if max_tokens is not None and body.get("max_completion_tokens") is None:
        body["max_completion_tokens"] = max_tokens


def _map_kimi_k3_effort(body: dict[str, Any]) -> None:
    effort = body.get("reasoning_effort")
    if effort is None:
        return
    mapped = _KIMI_K3_EFFORTS.get(effort.lower()) if isinstance(effort, str) else None
    if mapped is None:
        del body["reasoning_effort"]
    else:
        body["reasoning_effort"] = mapped


def _normalize_chatgpt_responses(body: dict[str, Any]) -> None:
    if body.get("stream") is False:
        raise UnsupportedConversionError(
            "The ChatGPT (Codex) backend only supports streaming: "
            "set stream=true or omit the stream field."
        )
    instructions = body.get("instructions")
    if not isinstance(instructions, str) or not instructions:
        body["instructions"] = CHATGPT_BASE_INSTRUCTIONS
    elif CHATGPT_BASE_INSTRUCTIONS not in instructions:
        body["instructions"] = f"{CHATGPT_BASE_INSTRUCTIONS}\n\n{instructions}"
    body["store"] = False
    body["stream"] = True
    items = body.get("input")
    if isinstance(items, str):
        body["input"] = [{"type": "message", "role": "user", "content": items}]
    elif isinstance(items, dict):
        body["input"] = [items]
