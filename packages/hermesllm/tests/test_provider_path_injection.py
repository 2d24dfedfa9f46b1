"""A model id reaches an upstream path as exactly one percent-encoded segment."""

from __future__ import annotations

import pytest

from hermesllm.apis import ClientApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import model_path_segment, upstream_path

HOSTILE = [
    "x:countTokens#",
    "../../../v1beta/cachedContents?alt=json&x=",
    "..",
    ".",
    "a b/ü",
    "m?api-version=1&x=",
]


@pytest.mark.parametrize("model", HOSTILE)
@pytest.mark.parametrize(
    "provider", [ProviderId.GEMINI, ProviderId.AMAZON_BEDROCK, ProviderId.AZURE_OPENAI]
)
@pytest.mark.parametrize("streaming", [False, True])
def test_model_is_one_segment(model: str, provider: ProviderId, streaming: bool) -> None:
    path = upstream_path(provider, ClientApi.CHAT, model, streaming, "/base")
    path_only, _, query = path.partition("?")
    segment = model_path_segment(model)
    parts = path_only.split("/")
    # Gemini appends the method to the model segment: `models/{model}:generateContent`.
    assert any(part == segment or part.startswith(f"{segment}:") for part in parts)
    assert "#" not in path
    assert " " not in path and path.isascii()
    assert query in ("", "alt=sse", "api-version=2025-01-01-preview")
    assert all(part not in (".", "..") for part in parts)


def test_segment_encoding() -> None:
    assert model_path_segment("anthropic.claude-3:0") == "anthropic.claude-3%3A0"
    assert model_path_segment("..") == "%2E%2E"
    assert model_path_segment(".") == "%2E"
    assert model_path_segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    assert model_path_segment("...") == "..."
