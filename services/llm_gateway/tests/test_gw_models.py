"""GET /v1/models and /v1/models/{id} through the OpenAI SDK: models, aliases, wildcards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.raw_client import post

PROVIDERS = {
    "openai/gpt-4o": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
}
ALIASES = (
    "model_aliases:\n"
    "  smart: {target: gpt-4o}\n"
    "  writer: {target: anthropic/claude-sonnet-4-20250514}\n"
)
WILDCARD = "  - model: 'xai/*'\n    access_key: sk-xai\n"


@pytest.fixture(scope="module")
def client(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[openai.OpenAI]:
    config = gateway_config(
        fake_upstream.url,
        PROVIDERS,
        default="openai/gpt-4o",
        providers=WILDCARD,
        sections=ALIASES,
    )
    with start_gateway(config).openai_sdk() as sdk:
        yield sdk


def test_list_has_models_then_marked_aliases(client: openai.OpenAI) -> None:
    models = list(client.models.list())
    ids = [model.id for model in models]
    assert ids[:2] == ["openai/gpt-4o", "anthropic/claude-sonnet-4-20250514"]
    assert ids[-2:] == ["smart", "writer"]
    assert any(name.startswith("xai/") for name in ids)
    by_id = {model.id: model for model in models}
    smart = by_id["smart"]
    assert smart.object == "model" and smart.owned_by == "openai"
    assert smart.model_extra == {"alias_of": "openai/gpt-4o"}
    assert by_id["writer"].owned_by == "anthropic"
    assert not by_id["openai/gpt-4o"].model_extra


@pytest.mark.parametrize(
    ("model_id", "owner", "extra"),
    [
        ("openai/gpt-4o", "openai", {}),
        ("anthropic/claude-sonnet-4-20250514", "anthropic", {}),
        ("smart", "openai", {"alias_of": "openai/gpt-4o"}),
        ("gpt-4o", "openai", {}),
        ("xai/grok-future-9", "xai", {}),
    ],
)
def test_retrieve_one_model(
    client: openai.OpenAI, model_id: str, owner: str, extra: dict[str, str]
) -> None:
    model = client.models.retrieve(model_id)
    assert (model.id, model.object, model.owned_by, model.created) == (model_id, "model", owner, 0)
    assert (model.model_extra or {}) == extra


@pytest.mark.parametrize("model_id", ["gpt-9", "openai/gpt-9", "groq/x", "arch-function"])
def test_retrieve_unknown_is_openai_404(client: openai.OpenAI, model_id: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve(model_id)
    error: Any = caught.value.body
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert error["type"] == "invalid_request_error"
    assert model_id in error["message"]


def test_retrieve_encoded_slash_and_hostile_ids(client: openai.OpenAI) -> None:
    base = str(client.base_url).rstrip("/")
    raw = client.with_options(base_url=base).get("/models/openai%2Fgpt-4o", cast_to=object)
    assert isinstance(raw, dict) and raw["id"] == "openai/gpt-4o"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("x" * 5000)
    error: Any = caught.value.body
    assert len(error["message"]) < 400


def test_models_endpoints_refuse_post(client: openai.OpenAI) -> None:
    base = str(client.base_url).rstrip("/")
    for path in ("/models", "/models/openai/gpt-4o"):
        answer = post(f"{base}{path}", b"{}")
        assert answer.status == 405 and answer.headers.get("allow") == "GET"
