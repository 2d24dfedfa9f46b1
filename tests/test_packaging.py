"""The workspace's distributions keep the shape the README promises."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = {
    "packages/hermesllm": ("hermesllm", "hermesllm"),
    "packages/common": ("plano-common", "plano_common"),
    "services/llm_gateway": ("llm-gateway", "llm_gateway"),
    "services/prompt_gateway": ("prompt-gateway", "prompt_gateway"),
    "services/brightstaff": ("brightstaff", "brightstaff"),
    "packages/planoai": ("planoai", "planoai"),
}


def project(folder: str) -> dict[str, object]:
    data = tomllib.loads((REPO / folder / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(data["project"])


@pytest.mark.parametrize("folder", sorted(DISTRIBUTIONS))
def test_distribution_layout(folder: str) -> None:
    dist, package = DISTRIBUTIONS[folder]
    meta = project(folder)
    assert meta["name"] == dist
    assert meta["version"] == "0.1.0"
    assert meta["requires-python"] == ">=3.11"
    assert (REPO / folder / "src" / package / "__init__.py").is_file()
    assert (REPO / folder / "src" / package / "py.typed").is_file()
    assert (REPO / folder / "tests").is_dir()
    assert meta.get("scripts"), f"{dist} has no console script"


def test_hermesllm_depends_on_msgspec_only() -> None:
    dependencies = project("packages/hermesllm")["dependencies"]
    assert isinstance(dependencies, list)
    assert [d.split(">")[0].split("=")[0].strip() for d in dependencies] == ["msgspec"]


def test_workspace_lists_every_distribution() -> None:
    root = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    members = set(root["tool"]["uv"]["workspace"]["members"])
    assert set(DISTRIBUTIONS) <= members
    assert (REPO / "uv.lock").is_file()
