"""Execution-layer detectors over tool calls and tool outputs: failures and loops."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from brightstaff.signals.patterns import regex_table
from brightstaff.signals.schemas import SignalGroup, SignalInstance, SignalType
from brightstaff.signals.text import f32

__all__ = ["Row", "analyze_failure", "snippet_around", "tool_info"]

Row = tuple[str, str]
"""One ShareGPT row: (``human``/``gpt``/``function_call``/``observation``, text)."""

_FAILURES: tuple[tuple[str, SignalType, float], ...] = (
    ("invalid_args", SignalType.FAILURE_INVALID_ARGS, 0.9),
    ("tool_not_found", SignalType.FAILURE_TOOL_NOT_FOUND, 0.95),
    ("auth_misuse", SignalType.FAILURE_AUTH_MISUSE, 0.8),
    ("state_error", SignalType.FAILURE_STATE_ERROR, 0.85),
    ("bad_query", SignalType.FAILURE_BAD_QUERY, 0.6),
)


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _args_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return canonical_json(value)


def tool_info(value: str) -> tuple[str, str]:
    """(tool name, arguments text) of a ``function_call`` row."""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        name = parsed.get("name", parsed.get("function"))
        raw = parsed.get("arguments", parsed.get("args"))
        args = (
            ""
            if raw is None and "arguments" not in parsed and "args" not in parsed
            else _args_text(raw)
        )
        return (name if isinstance(name, str) else "unknown"), args
    return "unknown", value[:200]


def snippet_around(text: str, match: re.Match[str], context: int = 50) -> str:
    """The matched text with `context` characters either side, ellipses where cut."""
    start = max(match.start() - context, 0)
    end = min(match.end() + context, len(text))
    return ("..." if start > 0 else "") + text[start:end] + ("..." if end < len(text) else "")


def _first_failure(
    lower: str, patterns: dict[str, re.Pattern[str]]
) -> tuple[str, SignalType, float, re.Match[str]] | None:
    for key, signal_type, confidence in _FAILURES:
        match = patterns[key].search(lower)
        if match is None:
            continue
        if key == "bad_query" and any(w in lower for w in ("error", "invalid", "failed")):
            confidence = 0.8
        return key, signal_type, confidence, match
    return None


def _failure(
    index: int,
    value: str,
    call: tuple[int, str | None],
    found: tuple[str, SignalType, float, re.Match[str]],
) -> SignalInstance:
    key, signal_type, confidence, match = found
    call_index, call_value = call
    return SignalInstance(
        signal_type,
        index,
        snippet_around(value, match),
        f32(confidence),
        {
            "tool_name": "unknown" if call_value is None else tool_info(call_value)[0],
            "call_index": call_index,
            "error_type": key,
            "matched": match.group(0),
        },
    )


def analyze_failure(rows: Sequence[Row]) -> SignalGroup:
    """Tool outputs reporting bad arguments, unknown tools, auth, state or query errors (each
    distinct output is searched once; a call is parsed only when its output failed)."""
    patterns = regex_table("execution.json")
    group = SignalGroup("failure")
    last_call: tuple[int, str | None] | None = None
    seen: dict[str, tuple[str, SignalType, float, re.Match[str]] | None] = {}
    for i, (role, value) in enumerate(rows):
        if role == "function_call":
            last_call = (i, value)
            continue
        if role != "observation":
            continue
        tool = last_call if last_call is not None else (max(i - 1, 0), None)
        lower = value.lower()
        if lower not in seen:
            seen[lower] = _first_failure(lower, patterns)
        found = seen[lower]
        if found is not None:
            group.add(_failure(i, value, tool, found))
    return group
