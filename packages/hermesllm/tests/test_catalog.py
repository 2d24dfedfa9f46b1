"""The packaged model catalog."""

import msgspec
import pytest

from hermesllm.catalog import decode_catalog, load_catalog, models_for
from hermesllm.provider_ids import ProviderId

P = ProviderId


def test_catalog_loads_once() -> None:
    assert load_catalog() is load_catalog()
    assert models_for(P.OPENAI) is models_for(P.OPENAI)


@pytest.mark.parametrize(
    ("provider", "expected_model"),
    [
        (P.OPENAI, "gpt-4o"),
        (P.ANTHROPIC, "claude-sonnet-4-5"),
        (P.GEMINI, "gemini-2.5-pro"),
        (P.MISTRAL, "mistral-large-latest"),
        (P.DEEPSEEK, "deepseek-v4-pro"),
        (P.XAI, "grok-4.3"),
        (P.MOONSHOTAI, "kimi-k3"),
        (P.ZHIPU, "glm-4.6"),
        (P.AMAZON_BEDROCK, "amazon.nova-pro-v1:0"),
        (P.MINIMAX, "MiniMax-M3"),
        (P.AZURE_OPENAI, "gpt-4o"),
    ],
)
def test_well_known_models(provider: ProviderId, expected_model: str) -> None:
    assert expected_model in models_for(provider)


@pytest.mark.parametrize("provider", list(ProviderId))
def test_ids_are_unique_and_unprefixed(provider: ProviderId) -> None:
    models = models_for(provider)
    assert isinstance(models, tuple)
    assert len(set(models)) == len(models)
    for model in models:
        assert model
        assert model == model.strip()
        if provider is not P.DIGITALOCEAN:
            assert not model.startswith(f"{provider.value}/")


@pytest.mark.parametrize(
    "provider", [P.VERCEL, P.OPENROUTER, P.EDENAI, P.GITHUB, P.OLLAMA, P.PLANO, P.ASTRAFLOW]
)
def test_open_ended_gateways_have_no_catalog(provider: ProviderId) -> None:
    assert models_for(provider) == ()


def test_catalog_keys_are_provider_ids() -> None:
    catalog = load_catalog()
    assert set(catalog.providers) <= {p.value for p in ProviderId}
    assert sum(len(models) for models in catalog.providers.values()) > 300


def test_decode_rejects_malformed_catalog() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_catalog(b'{"format": 1, "updated": "x", "providers": {"openai": [1]}}')
