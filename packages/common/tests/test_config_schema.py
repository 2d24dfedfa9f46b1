"""The JSON Schema export and the plano-config command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plano_common.config import config_json_schema
from plano_common.config.cli import main

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


def test_cli_show_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plano.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sk-hidden" not in out
    assert json.loads(out)["model_providers"][0]["access_key"] == "***"
