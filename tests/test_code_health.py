"""Repository-wide rules: `__all__` on public modules, no private attributes of aiohttp
objects, one spelling of normalize, and the ASGI types taken from Starlette."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIBRARIES = {
    "hermesllm": REPO / "packages" / "hermesllm" / "src" / "hermesllm",
    "plano_common": REPO / "packages" / "common" / "src" / "plano_common",
    "plano_testkit": REPO / "packages" / "testkit" / "src" / "plano_testkit",
}
_NAMEDTUPLE_API = frozenset({"_replace", "_asdict", "_fields", "_make"})  # public, despite the "_"
CODE_DIRS = [REPO / "packages", REPO / "services", REPO / "tests", REPO / "bench"]


def _python_files() -> list[Path]:
    return [
        path
        for folder in CODE_DIRS
        for path in folder.rglob("*.py")
        if ".venv" not in path.parts and ".venvs" not in path.parts
    ]


def _public_modules() -> list[str]:
    modules = []
    for package, folder in LIBRARIES.items():
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder).with_suffix("")
            parts = [package, *relative.parts]
            if parts[-1] == "__init__":
                parts.pop()
            if any(part.startswith("_") for part in parts):
                continue
            modules.append(".".join(parts))
    return modules


@pytest.mark.parametrize("module_name", _public_modules())
def test_public_module_declares_its_api(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if module_name in ("hermesllm.types", "hermesllm.data", "plano_testkit.wire"):
        return  # namespace packages holding only submodules
    assert isinstance(names, list) and names, f"{module_name} has no __all__"
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == [], f"{module_name}.__all__ names undefined {missing}"


def test_no_private_attribute_of_aiohttp_objects() -> None:
    """Modules that use aiohttp touch only its public API (`obj._x` only on self/cls)."""
    found = []
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        if "aiohttp" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__") or node.attr in _NAMEDTUPLE_API:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_one_spelling_of_normalize() -> None:
    british = re.compile("normali" + "s", re.IGNORECASE)
    files = [*_python_files(), *REPO.glob("*.md"), *(REPO / "docs").rglob("*.md")]
    files += list((REPO / "packages").glob("*/README.md"))
    files += list((REPO / "services").glob("*/README.md"))
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if british.search(line)
    ]
    assert found == []


def test_asgi_types_are_starlettes() -> None:
    """No module defines its own Scope/Receive/Send aliases; they come from starlette.types."""
    alias = re.compile(
        r"^(Scope|Receive|Send|ASGIApp)\s*=|^Message\s*=\s*MutableMapping", re.MULTILINE
    )
    found = [
        str(path.relative_to(REPO))
        for path in _python_files()
        if "/src/" in path.as_posix() and alias.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
