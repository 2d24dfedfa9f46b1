"""The JSON Schema export and the plano-config command line."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import msgspec.inspect as mi
import pytest
import yaml

from plano_common.config import config_json_schema
from plano_common.config.cli import main
from plano_common.config.document import ConfigDocument
from plano_testkit.shared_fixtures import require_shared

VALID = (
    "version: v0.4.0\nlisteners: [{type: model, name: m}]\n"
    "model_providers:\n  - {model: openai/gpt-4o, access_key: sk-hidden}\n"
)


def test_schema_covers_every_top_level_key() -> None:
    schema = config_json_schema()
    root = schema["$defs"]["ConfigDocument"]
    assert set(root["properties"]) >= {
        "version",
        "listeners",
        "agents",
        "filters",
        "endpoints",
        "model_providers",
        "llm_providers",
        "model_aliases",
        "overrides",
        "prompt_caching",
        "system_prompt",
        "prompt_targets",
        "prompt_guards",
        "ratelimits",
        "tracing",
        "routing",
        "routing_preferences",
        "model_metrics_sources",
        "state_storage",
        "mode",
    }
    assert root["required"] == ["version", "listeners"]
    assert root["additionalProperties"] is False


def test_cli_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Plano config"


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("openai/gpt-4o", "gpt-4o"), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'model_providers[0].model: "gpt-4o" must be' in err


def test_cli_leaves_the_config_logger_enabled(tmp_path: Path) -> None:
    path = tmp_path / "plano.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert not logging.getLogger("plano.config").disabled


def test_cli_show_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plano.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sk-hidden" not in out
    assert json.loads(out)["model_providers"][0]["access_key"] == "***"


def test_cli_show_masks_credential_headers_and_url_passwords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plano.yaml"
    path.write_text(
        "version: v0.4.0\nlisteners: []\nmodel_providers:\n"
        "  - {model: openai/gpt-4o, headers: {Authorization: Bearer tok-1, X-Api-Key: tok-2, "
        "X-Team: blue}}\n"
        "routing: {session_cache: {type: redis, url: 'redis://:tok-3@cache:6379'}}\n",
        encoding="utf-8",
    )
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert not any(secret in out for secret in ("tok-1", "tok-2", "tok-3"))
    shown = json.loads(out)
    assert shown["model_providers"][0]["headers"] == {
        "Authorization": "Bearer ***",
        "X-Api-Key": "***",
        "X-Team": "blue",
    }
    assert shown["routing"]["session_cache"]["url"] == "redis://:***@cache:6379"


def _members(info: mi.Type) -> list[mi.Type]:
    """The non-null alternatives of a type, without their metadata wrappers."""
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        return [m for t in info.types for m in _members(t)]
    return [] if isinstance(info, mi.NoneType) else [info]


def _pick(node: dict[str, Any], info: mi.Type) -> mi.Type | None:
    """The member of our type that stands for a schema node (None for plain scalars)."""
    members = _members(info)
    tag = node.get("properties", {}).get("type", {}).get("const")
    if tag is not None:
        return next(t for t in members if isinstance(t, mi.StructType) and t.tag == tag)
    if node.get("type") == "array" or "items" in node:
        return next(t for t in members if isinstance(t, mi.ListType))
    if node.get("type") == "object" or "properties" in node:
        return next(t for t in members if isinstance(t, mi.StructType | mi.DictType))
    if "enum" in node:
        return next(t for t in members if isinstance(t, mi.LiteralType | mi.StrType))
    return None


def _walk(node: dict[str, Any], info: mi.Type, where: str, seen: list[str]) -> None:
    if "oneOf" in node:
        for alternative in node["oneOf"]:
            _walk(alternative, info, where, seen)
        return
    ours = _pick(node, info)
    if isinstance(ours, mi.LiteralType):
        assert set(node["enum"]) <= set(ours.values), f"{where}: {node['enum']}"
    if isinstance(node.get("items"), dict):
        assert isinstance(ours, mi.ListType), where
        _walk(node["items"], ours.item_type, f"{where}[]", seen)
    value_schemas = list(node.get("patternProperties", {}).values())
    if isinstance(node.get("additionalProperties"), dict):
        value_schemas.append(node["additionalProperties"])
    for value_schema in value_schemas:
        assert isinstance(ours, mi.DictType), where
        _walk(value_schema, ours.value_type, f"{where}.<key>", seen)
    for key, child in node.get("properties", {}).items():
        if not isinstance(child, dict):
            continue  # the schema's own typo: `additionalProperties: false` among properties
        assert isinstance(ours, mi.StructType), f"{where}.{key}: ours is not a mapping"
        if key == ours.tag_field:
            continue
        field = next((f for f in ours.fields if f.encode_name == key), None)
        assert field is not None, f"{where}.{key} is not accepted by {ours.cls.__name__}"
        seen.append(f"{where}.{key}")
        _walk(child, field.type, f"{where}.{key}", seen)


def test_every_key_of_the_original_schema_is_accepted() -> None:
    schema_file = require_shared("fixtures/plano_config_schema.yaml")
    schema = yaml.safe_load(schema_file.read_text(encoding="utf-8"))
    seen: list[str] = []
    _walk(schema, mi.type_info(ConfigDocument), "$", seen)
    assert len(seen) > 150
    assert "$.listeners[].agents[].input_filters" in seen
    assert "$.model_metrics_sources[].model_aliases" in seen
    assert "$.prompt_targets[].parameters[].in_path" in seen
