"""Every `planoai init` template validates and starts (llm-gateway and brightstaff healthy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from plano_testkit import free_port
from planoai.templates import TEMPLATES

FAKE_KEYS = {"OPENAI_API_KEY": "sk-fake-openai", "ANTHROPIC_API_KEY": "sk-ant-fake"}


def _init(cli: Any, tmp_path: Path, name: str) -> Path:
    target = tmp_path / f"{name}.yaml"
    result = cli.run(["init", "--template", name, "--output", str(target)])
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(target.read_text())
    for listener in data["listeners"]:
        listener["port"] = free_port()
        listener["address"] = "127.0.0.1"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_validates_and_starts(cli: Any, tmp_path: Path, name: str) -> None:
    config = _init(cli, tmp_path, name)
    checked = cli.run(["validate", str(config)], FAKE_KEYS)
    assert checked.returncode == 0, checked.stderr
    assert "llm-gateway, brightstaff" in checked.stdout
    started = cli.run(["up", str(config)], FAKE_KEYS)
    assert started.returncode == 0, started.stderr + started.stdout
    assert "llm-gateway healthy" in started.stdout
    assert "brightstaff healthy" in started.stdout
    pids = cli.pids()
    assert cli.run(["down"]).returncode == 0
    assert all(cli.gone(pid) for pid in pids)


def test_init_refuses_to_overwrite(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("keep me\n")
    result = cli.run(["init", "--template", "conversational_state", "--output", str(target)])
    assert result.returncode == 2
    assert "exists" in result.stderr
    assert target.read_text() == "keep me\n"


def test_init_lists_templates(cli: Any) -> None:
    listed = cli.run(["init", "--list"])
    assert listed.returncode == 0
    assert all(name in listed.stdout for name in TEMPLATES)


def test_readme_quickstart_example_starts(cli: Any, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "quickstart.yaml"
    data = yaml.safe_load(example.read_text())
    for listener in data["listeners"]:
        listener["port"] = free_port()
        listener["address"] = "127.0.0.1"
    config = tmp_path / "quickstart.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    started = cli.run(["up", str(config)], {"OPENAI_API_KEY": None, "ANTHROPIC_API_KEY": None})
    assert started.returncode == 0, started.stderr + started.stdout
    assert "openai/gpt-4o-mini" in started.stdout
    assert cli.run(["down"]).returncode == 0
