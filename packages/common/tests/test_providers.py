"""Provider lookup: names, models, wildcards, aliases, default and the /v1/models listing."""

from __future__ import annotations

import pytest

from hermesllm.catalog import models_for
from hermesllm.provider_ids import ProviderId
from plano_common.config import load_config_text
from plano_common.providers import ProviderTable

CONFIG = """
version: v0.4.0
listeners: [{type: model, name: m}]
model_providers:
  - {model: openai/gpt-4o, access_key: k1, default: true}
  - {model: openai/gpt-4o-mini, access_key: k1, name: fast}
  - {model: 'anthropic/*', access_key: k2}
  - {model: anthropic/claude-sonnet-4-6, access_key: k3}
  - {model: openrouter/meta/llama-4, access_key: k4}
  - {model: 'custom/*', provider_interface: openai, base_url: 'http://localhost:9000/v1'}
model_aliases:
  smart: {target: gpt-4o}
  cheap: {target: fast}
"""


@pytest.fixture(scope="module")
def table() -> ProviderTable:
    return ProviderTable(load_config_text(CONFIG, environ={}))


def test_exact_name_full_model_and_bare_id(table: ProviderTable) -> None:
    by_name = table.resolve("fast")
    assert by_name is not None and by_name.model == "gpt-4o-mini"
    assert table.resolve("openai/gpt-4o-mini") is by_name
    assert table.resolve("gpt-4o-mini") is by_name
    full = table.resolve("openai/gpt-4o")
    assert full is not None and full.access_key == "k1"


def test_specific_entry_beats_wildcard(table: ProviderTable) -> None:
    specific = table.resolve("anthropic/claude-sonnet-4-6")
    assert specific is not None and specific.access_key == "k3"
    assert table.resolve("claude-sonnet-4-6") is specific


def test_wildcard_returns_the_rest_as_model(table: ProviderTable) -> None:
    found = table.resolve("anthropic/claude-made-up-9")
    assert found is not None
    assert (found.provider_id, found.model, found.access_key) == (
        ProviderId.ANTHROPIC,
        "claude-made-up-9",
        "k2",
    )
    assert not found.wildcard
    custom = table.resolve("custom/qwen3:8b")
    assert custom is not None
    assert (custom.provider_id, custom.model, custom.host, custom.port) == (
        ProviderId.OPENAI,
        "qwen3:8b",
        "localhost",
        9000,
    )


def test_wildcard_catalog_models_resolve_by_bare_id(table: ProviderTable) -> None:
    catalog_model = next(m for m in models_for(ProviderId.ANTHROPIC) if m != "claude-sonnet-4-6")
    found = table.resolve(catalog_model)
    assert found is not None and found.access_key == "k2" and found.model == catalog_model


def test_model_containing_a_slash(table: ProviderTable) -> None:
    found = table.resolve("openrouter/meta/llama-4")
    assert found is not None and found.model == "meta/llama-4"
    assert table.resolve("meta/llama-4") is found


def test_unknown_names(table: ProviderTable) -> None:
    assert table.resolve("gpt-9") is None
    assert table.resolve("mistral/large") is None
    assert table.resolve("openai/") is None


def test_prefix_of_another_provider_does_not_match_bare_id(table: ProviderTable) -> None:
    assert table.resolve("groq/gpt-4o") is None


def test_custom_wildcard_is_not_expanded_with_its_interface_catalog(
    table: ProviderTable,
) -> None:
    ids = [entry["id"] for entry in table.models_listing()["data"]]
    assert not any(name.startswith("custom/") for name in ids)
    assert table.resolve("gpt-5") is None
    on_server = table.resolve("custom/gpt-5")
    assert on_server is not None and on_server.port == 9000


def test_interface_name_does_not_reach_a_custom_provider() -> None:
    config = load_config_text(
        "version: v0.4.0\nlisteners: []\nmodel_providers:\n"
        "  - {model: my_server/llama3, provider_interface: openai, base_url: 'http://h:1/v1'}\n"
        "  - {model: google/gemini-2.5-pro, access_key: k}\n",
        environ={},
    )
    table = ProviderTable(config)
    assert table.resolve("openai/llama3") is None
    custom = table.resolve("my_server/llama3")
    assert custom is not None and custom is table.resolve("llama3")
    gemini = table.resolve("GEMINI/gemini-2.5-pro")
    assert gemini is not None and gemini.name == "google/gemini-2.5-pro"


def test_aliases_and_default(table: ProviderTable) -> None:
    assert table.resolve_alias("smart") == "gpt-4o"
    assert table.resolve_alias("gpt-4o") is None
    smart = table.resolve_model("smart")
    assert smart is not None and smart.name == "openai/gpt-4o"
    cheap = table.resolve_model("cheap")
    assert cheap is not None and cheap.name == "fast"
    assert table.default is not None and table.default.name == "openai/gpt-4o"
    assert table.resolve_model("default") is table.default


def test_models_listing(table: ProviderTable) -> None:
    listing = table.models_listing()
    assert listing["object"] == "list"
    ids = [entry["id"] for entry in listing["data"]]
    assert ids[:5] == [
        "openai/gpt-4o",
        "fast",
        "anthropic/claude-sonnet-4-6",
        "openrouter/meta/llama-4",
        *[f"anthropic/{m}" for m in models_for(ProviderId.ANTHROPIC) if m != "claude-sonnet-4-6"][
            :1
        ],
    ]
    assert len(ids) == len(set(ids))
    assert "arch-function" not in ids and "plano/orchestrator" not in ids
    assert all(e["object"] == "model" and e["created"] == 0 for e in listing["data"])
    owners = {entry["id"]: entry["owned_by"] for entry in listing["data"]}
    assert owners["fast"] == "openai"


def test_internal_providers_resolve_by_name(table: ProviderTable) -> None:
    found = table.resolve("arch-function")
    assert found is not None and found.internal and found.model == "Arch-Function"
