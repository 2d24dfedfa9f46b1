"""Every real Plano config loads, and the full reference normalizes like the original's render.

The configs come from `shared/fixtures/configs` (beside a CI checkout only): each test skips
with a reason where it is absent, and fails under `PLANO_REQUIRE_FIXTURES=1`. The file names are
listed here, not globbed at import time, so collection works without the folder; a test checks
that the list matches the folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from plano_common.config import PlanoConfig, load_config
from plano_common.config.durations import parse_duration
from plano_testkit.shared_fixtures import require_shared

FULL_REFERENCE = "docs__source__resources__includes__plano_config_full_reference.yaml"
RENDERED = "docs__source__resources__includes__plano_config_full_reference_rendered.yaml"
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")

CONFIG_NAMES = (
    "demos__advanced__currency_exchange__config.yaml",
    "demos__advanced__model_choice_test_harness__plano_config_with_aliases.yaml",
    "demos__agent_orchestration__travel_agents__config.yaml",
    "demos__filter_chains__http_filter__config.yaml",
    "demos__filter_chains__model_listener_filter__config.yaml",
    "demos__filter_chains__pii_anonymizer__config.yaml",
    "demos__getting_started__llm_gateway__config.yaml",
    "demos__getting_started__weather_forecast__config.yaml",
    "demos__integrations__ollama__config.yaml",
    "demos__integrations__spotify_bearer_auth__config.yaml",
    "demos__llm_routing__chatgpt_subscription__config.yaml",
    "demos__llm_routing__model_alias_routing__config_with_aliases.yaml",
    "demos__llm_routing__model_routing_service__config.yaml",
    "demos__llm_routing__preference_based_routing__config.yaml",
    "demos__llm_routing__preference_based_routing__plano_config_local.yaml",
    "docs__source__concepts__includes__plano_config.yaml",
    "docs__source__guides__includes__config.yaml",
    "docs__source__resources__includes__plano_config_agents_filters.yaml",
    FULL_REFERENCE,
    "docs__source__resources__includes__plano_config_state_storage_example.yaml",
    "tests__archgw__config.yaml",
    "tests__e2e__config_memory_state_v1_responses.yaml",
)


def config_file(name: str) -> Path:
    """`shared/fixtures/configs/<name>`, or skip."""
    return require_shared(f"fixtures/configs/{name}")


def _self_referencing_environ(path: Path) -> dict[str, str]:
    """Every referenced variable set to its own reference, so values stay as written."""
    return {name: f"${name}" for name in _VARIABLE.findall(path.read_text(encoding="utf-8"))}


def test_every_shared_config_is_listed() -> None:
    folder = require_shared("fixtures/configs")
    inputs = {p.name for p in folder.glob("*.yaml") if not p.name.endswith("_rendered.yaml")}
    assert inputs == set(CONFIG_NAMES)


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_fixture_config_loads(name: str) -> None:
    path = config_file(name)
    config = load_config(path, environ=_self_referencing_environ(path))
    assert isinstance(config, PlanoConfig)
    assert sum(listener.type == "model" for listener in config.listeners) == 1
    assert any(p.name == "arch-function" and p.internal for p in config.model_providers)


def test_fixture_with_unset_key_names_the_variable() -> None:
    path = config_file("demos__getting_started__llm_gateway__config.yaml")
    environ = _self_referencing_environ(path)
    del environ["MISTRAL_API_KEY"]
    with pytest.raises(Exception, match=r"model_providers\[3\]\.access_key: environment variable"):
        load_config(path, environ=environ)


@pytest.fixture(scope="module")
def reference() -> tuple[PlanoConfig, dict[str, Any]]:
    source = config_file(FULL_REFERENCE)
    config = load_config(source, environ=_self_referencing_environ(source))
    rendered = yaml.safe_load(config_file(RENDERED).read_text(encoding="utf-8"))
    return config, rendered


def test_reference_providers_match_rendered(reference: tuple[PlanoConfig, dict[str, Any]]) -> None:
    config, rendered = reference
    ours = {p.name: p for p in config.model_providers}
    assert [p["name"] for p in rendered["model_providers"]] == list(ours)
    for expected in rendered["model_providers"]:
        provider = ours[expected["name"]]
        assert provider.model == expected["model"]
        assert provider.provider_id.value == expected["provider_interface"]
        assert provider.access_key == expected.get("access_key")
        assert provider.default == expected.get("default", False)
        assert provider.passthrough_auth == expected.get("passthrough_auth", False)
        assert provider.internal == expected.get("internal", False)
        assert provider.base_url == expected.get("base_url")
        assert provider.http_host == expected.get("http_host")
        assert provider.headers == expected.get("headers", {})
        assert provider.path_prefix == expected.get("base_url_path_prefix")
        if "endpoint" in expected:
            assert (provider.scheme, provider.host, provider.port) == (
                expected["protocol"],
                expected["endpoint"],
                expected["port"],
            )


def test_reference_listeners_match_rendered(reference: tuple[PlanoConfig, dict[str, Any]]) -> None:
    config, rendered = reference
    assert [(x["name"], x["type"]) for x in rendered["listeners"]] == [
        (x.name, x.type) for x in config.listeners
    ]
    for expected, listener in zip(rendered["listeners"], config.listeners, strict=True):
        assert listener.address == expected["address"]
        assert listener.port == expected["port"]
        assert listener.router == expected.get("router")
        assert listener.max_retries == expected.get("max_retries")
        assert listener.input_filters == tuple(expected.get("input_filters", ()))
        assert listener.output_filters == tuple(expected.get("output_filters", ()))
        if "timeout" in expected:
            assert listener.timeout_seconds == parse_duration(expected["timeout"], ())
        agents = [(a.id, a.description, a.input_filters) for a in listener.agents]
        assert agents == [
            (a["id"], a.get("description"), tuple(a.get("input_filters", ())))
            for a in expected.get("agents", ())
        ]
    model_names = [p["name"] for p in rendered["listeners"][1]["model_providers"]]
    assert model_names == [p.name for p in config.model_providers if not p.internal]


def test_reference_endpoints_match_rendered(reference: tuple[PlanoConfig, dict[str, Any]]) -> None:
    config, rendered = reference
    assert sorted(rendered["endpoints"]) == sorted(config.endpoints)
    for name, expected in rendered["endpoints"].items():
        endpoint = config.endpoints[name]
        assert endpoint.host == expected["endpoint"]
        assert endpoint.port == expected["port"]
        assert endpoint.protocol == expected.get("protocol", "http")
        assert endpoint.http_host == expected.get("http_host")
        timeout = expected.get("connect_timeout")
        expected_timeout = None if timeout is None else parse_duration(timeout, ())
        assert endpoint.connect_timeout_seconds == expected_timeout


def test_reference_other_sections(reference: tuple[PlanoConfig, dict[str, Any]]) -> None:
    config, rendered = reference
    assert config.version == rendered["version"]
    assert config.model_aliases == {k: v["target"] for k, v in rendered["model_aliases"].items()}
    assert [p.name for p in config.routing_preferences] == [
        p["name"] for p in rendered["routing_preferences"]
    ]
    assert config.routing_preferences[1].prefer == "cheapest"
    assert config.overrides.upstream_connect_timeout_seconds == 10.0
    assert config.tracing is not None
    assert config.tracing.opentracing_grpc_endpoint == "http://localhost:4317"
    assert config.tracing.span_attributes.static == {
        "environment": "production",
        "service.team": "platform",
    }
    # Deliberate difference (docs/config.md): limits are keyed by the model id the gateway
    # matches, and "*" means "any value" as the reference's own comment says.
    assert [r["model"] for r in rendered["ratelimits"]] == ["openai/gpt-4o", "openai/gpt-4o-mini"]
    assert [(r.model, r.selector_key, r.selector_value) for r in config.ratelimits] == [
        ("gpt-4o", "x-user-id", None),
        ("gpt-4o-mini", "x-org-id", "acme-corp"),
    ]
    assert config.state_storage is not None and config.state_storage.type == "memory"
    assert len(config.model_metrics_sources) == 2
