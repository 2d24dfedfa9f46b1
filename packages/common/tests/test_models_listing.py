"""The `/v1/models` listing with aliases, and the single-model entry, from ProviderTable."""

from __future__ import annotations

from plano_common.config import load_config_text
from plano_common.providers import ProviderTable

CONFIG = """
version: v0.4.0
listeners: [{type: model, name: m}]
model_providers:
  - {model: openai/gpt-4o, access_key: k1, default: true}
  - {model: openai/gpt-4o-mini, access_key: k1, name: fast}
  - {model: 'xai/*', access_key: k2}
model_aliases:
  smart: {target: gpt-4o}
  cheap: {target: fast}
  grok: {target: xai/grok-4}
"""
TABLE = ProviderTable(load_config_text(CONFIG, environ={}))


def test_aliases_follow_the_models_marked_with_their_target() -> None:
    data = TABLE.models_listing()["data"]
    assert [entry["id"] for entry in data[:2]] == ["openai/gpt-4o", "fast"]
    assert data[-3:] == [
        {
            "id": "smart",
            "object": "model",
            "created": 0,
            "owned_by": "openai",
            "alias_of": "openai/gpt-4o",
        },
        {"id": "cheap", "object": "model", "created": 0, "owned_by": "openai", "alias_of": "fast"},
        {
            "id": "grok",
            "object": "model",
            "created": 0,
            "owned_by": "xai",
            "alias_of": "xai/grok-4",
        },
    ]
    assert all("alias_of" not in entry for entry in data[:-3])


def test_model_entry() -> None:
    assert TABLE.model_entry("smart") == TABLE.models_listing()["data"][-3]
    assert TABLE.model_entry("openai/gpt-4o") == {
        "id": "openai/gpt-4o",
        "object": "model",
        "created": 0,
        "owned_by": "openai",
    }
    assert TABLE.model_entry("gpt-4o-mini") == {
        "id": "gpt-4o-mini",
        "object": "model",
        "created": 0,
        "owned_by": "openai",
    }
    assert TABLE.model_entry("xai/grok-next")["owned_by"] == "xai"  # type: ignore[index]
    for unknown in ("", "gpt-9", "arch-function", "plano/orchestrator", "xai/" + "x" * 300):
        assert TABLE.model_entry(unknown) is None
    assert TABLE.model_entry("xai/" + "x" * 300, max_length=1000) is not None
