"""Verification of extracted tool calls against the request's tools: known function, required
parameters present, parameter types (with a few coercions)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["SUPPORTED_TYPES", "Verification", "check_type", "coerce", "verify_tool_calls"]

SUPPORTED_TYPES = frozenset(
    ("int", "float", "bool", "str", "list", "tuple", "set", "dict")  # Python names
).union(("integer", "number", "boolean", "string", "array", "object"))  # JSON Schema names


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome: valid, or the first invalid call and why."""

    is_valid: bool = True
    invalid_tool_call: dict[str, Any] | None = None
    error_message: str = ""


def check_type(value: Any, target: str) -> bool:
    """True when `value` already has JSON-schema / Python type `target` (unknown: True)."""
    if target in ("int", "integer"):
        return isinstance(value, int) and not isinstance(value, bool)
    if target in ("float", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if target in ("bool", "boolean"):
        return isinstance(value, bool)
    if target in ("str", "string"):
        return isinstance(value, str)
    if target in ("list", "array"):
        return isinstance(value, list)
    if target in ("dict", "object"):
        return isinstance(value, dict)
    return True


def coerce(value: Any, target: str) -> Any:
    """int → float for numbers, a JSON-array string → list, anything → its JSON text for
    strings; other values unchanged."""
    if target in ("float", "number") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if target in ("list", "array") and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, list) else value
    if target in ("str", "string") and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _fail(call: dict[str, Any], message: str) -> Verification:
    return Verification(False, call, message)


def _check_call(call: dict[str, Any], schemas: dict[str, Any]) -> Verification:
    name = call["function"]["name"]
    try:
        args = json.loads(call["function"]["arguments"])
    except ValueError as exc:
        return _fail(call, f"Failed to parse arguments for function '{name}': {exc}")
    if not isinstance(args, dict):
        return _fail(call, f"Failed to parse arguments for function '{name}': not an object")
    if name not in schemas:
        return _fail(call, f"{name} is not available!")
    schema = schemas[name] if isinstance(schemas[name], dict) else {}
    for required in schema.get("required") or ():
        if isinstance(required, str) and required not in args:
            return _fail(
                call,
                f"`{required}` is required by the function `{name}` but not found in the "
                "tool call!",
            )
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return Verification()
    changed = False
    for param, value in args.items():
        if param not in properties:
            return _fail(call, f"Parameter `{param}` is not defined in the function `{name}`.")
        target = properties[param].get("type") if isinstance(properties[param], dict) else None
        if not isinstance(target, str):
            continue
        if target not in SUPPORTED_TYPES:
            return _fail(call, f"Data type `{target}` is not supported.")
        if check_type(value, target):
            continue
        converted = coerce(value, target)
        if not check_type(converted, target):
            return _fail(
                call,
                f"Parameter `{param}` is expected to have the data type `{target}`, "
                "got incompatible type.",
            )
        args[param], changed = converted, True
    if changed:
        call["function"]["arguments"] = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
    return Verification()


def verify_tool_calls(tools: list[dict[str, Any]], calls: list[dict[str, Any]]) -> Verification:
    """Check every call; coerced arguments are written back into the call."""
    schemas: dict[str, Any] = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            schemas[function["name"]] = function.get("parameters") or {}
    for call in calls:
        outcome = _check_call(call, schemas)
        if not outcome.is_valid:
            return outcome
    return Verification()
