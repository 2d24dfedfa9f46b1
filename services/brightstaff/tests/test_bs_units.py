"""Parsing, headers and settings of the LLM path, without a network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from brightstaff.llm_path import egress_headers
from brightstaff.models import Models
from brightstaff.request import RequestParser, request_id_of
from brightstaff.settings import SettingsError, settings_from
from hermesllm.apis import ClientApi
from plano_common.config import load_config
from plano_common.errors import BadRequest, ModelNotFound

CONFIG = """version: v0.3.0
listeners:
  - {type: model, name: m, port: 12000}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: k
    default: true
  - model: openai/gpt-4.1
    passthrough_auth: true
  - model: mistral/*
    access_key: k
model_aliases:
  fast: {target: gpt-4o-mini}
"""


@pytest.fixture
def config(tmp_path: Path) -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    return load_config(path)


def parse(config: Any, body: dict[str, Any], api: ClientApi = ClientApi.CHAT) -> Any:
    parser = RequestParser(Models(config))
    return parser.parse(api, "/v1/chat/completions", {}, msgspec.json.encode(body), listener="m")


def test_alias_and_inline_preferences(config: Any) -> None:
    request = parse(
        config,
        {
            "model": "fast",
            "messages": [],
            "stream": True,
            "routing_preferences": [
                {
                    "name": "code",
                    "description": "writing code",
                    "models": ["openai/gpt-4.1"],
                    "selection_policy": {"prefer": "cheapest"},
                }
            ],
        },
    )
    assert (request.requested_model, request.model, request.provider) == (
        "fast",
        "gpt-4o-mini",
        "openai/gpt-4o-mini",
    )
    assert request.stream is True
    assert "routing_preferences" not in request.body
    assert request.inline_preferences[0].name == "code"
    assert request.inline_preferences[0].prefer == "cheapest"


def test_malformed_inline_preferences_are_ignored(config: Any) -> None:
    request = parse(config, {"model": "fast", "messages": [], "routing_preferences": "nope"})
    assert request.inline_preferences == ()
    assert "routing_preferences" not in request.body


def test_no_model_means_the_default_provider(config: Any) -> None:
    request = parse(config, {"messages": []})
    assert request.provider == "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"model": "nope", "messages": []}, ModelNotFound),
        ({"model": "x" * 300, "messages": []}, BadRequest),
        ({"model": "bad\nname", "messages": []}, BadRequest),
        ({"model": 3, "messages": []}, BadRequest),
        ({"model": "fast"}, BadRequest),
    ],
)
def test_refused_requests(config: Any, body: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse(config, body)


def test_wildcard_metric_labels_never_hold_the_clients_model(config: Any) -> None:
    models = Models(config)
    assert models.label(models.resolve("mistral/anything-goes")) == ("mistral/*", "other")
    assert models.label(models.resolve("fast")) == ("openai/gpt-4o-mini", "gpt-4o-mini")


def test_credentials_reach_the_egress_only_for_passthrough(config: Any) -> None:
    models = Models(config)
    client = {
        "authorization": "Bearer c",
        "x-api-key": "c",
        "content-length": "9",
        "x-plano-cache": "off",
    }
    request = parse(config, {"model": "fast", "messages": []})
    own = egress_headers(client, models.resolve("fast"), request)
    passthrough = egress_headers(client, models.resolve("gpt-4.1"), request)
    assert "authorization" not in own and "x-api-key" not in own and "content-length" not in own
    assert own["x-arch-llm-provider-hint"] == "openai/gpt-4o-mini"
    assert own["x-arch-streaming-request"] == "false"
    assert own["x-plano-cache"] == "off"
    assert passthrough["authorization"] == "Bearer c"


def test_request_ids() -> None:
    assert request_id_of({"x-request-id": "abc-1"}) == "abc-1"
    assert request_id_of({"x-request-id": "bad id\n"}) != "bad id\n"
    assert len(request_id_of({})) == 32


def test_egress_url_from_env_then_config(config: Any, tmp_path: Path) -> None:
    assert settings_from(config, {}).egress_url == "http://127.0.0.1:12001"
    assert (
        settings_from(config, {"LLM_PROVIDER_ENDPOINT": "http://gw:1/"}).egress_url == "http://gw:1"
    )
    path = tmp_path / "with_endpoint.yaml"
    path.write_text(CONFIG + "endpoints:\n  llm_gateway: {endpoint: 'gw.internal:8080'}\n")
    assert settings_from(load_config(path), {}).egress_url == "http://gw.internal:8080"
    with pytest.raises(SettingsError):
        settings_from(config, {"LLM_PROVIDER_ENDPOINT": "ftp://x"})
