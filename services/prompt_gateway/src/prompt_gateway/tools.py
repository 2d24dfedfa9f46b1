"""Prompt targets as OpenAI function tools, the form the function-calling model reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plano_common.config.document import ParameterEntry
from plano_common.config.types import PromptTarget

__all__ = ["TYPE_NAMES", "parameter_defaults", "target_tool", "target_tools"]

TYPE_NAMES = {
    "int": "int",
    "integer": "int",
    "float": "float",
    "number": "float",
    "bool": "bool",
    "boolean": "bool",
    "str": "str",
    "string": "str",
    "list": "list",
    "array": "list",
    "dict": "dict",
    "dictionary": "dict",
    "object": "dict",
}


def _property(parameter: ParameterEntry) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": TYPE_NAMES.get(parameter.type.strip().lower(), parameter.type),
        "description": parameter.description,
    }
    if parameter.enum is not None:
        spec["enum"] = list(parameter.enum)
    if parameter.default is not None:
        spec["default"] = parameter.default
    if parameter.format is not None:
        spec["format"] = parameter.format
    return spec


def target_tool(target: PromptTarget) -> dict[str, Any]:
    """One target as `{"type": "function", "function": {name, description, parameters}}`."""
    return {
        "type": "function",
        "function": {
            "name": target.name,
            "description": target.description,
            "parameters": {
                "properties": {p.name: _property(p) for p in target.parameters},
                "required": [p.name for p in target.parameters if p.required],
            },
        },
    }


def target_tools(targets: Sequence[PromptTarget]) -> list[dict[str, Any]]:
    """Every target (the default one included) as a tool."""
    return [target_tool(target) for target in targets]


def parameter_defaults(target: PromptTarget) -> dict[str, Any]:
    """The configured defaults of a target's parameters."""
    return {p.name: p.default for p in target.parameters if p.default is not None}
