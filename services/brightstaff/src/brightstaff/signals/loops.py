"""Execution loops: the same call retried, one tool's arguments drifting, tools oscillating."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from brightstaff.signals.execution import Row, canonical_json
from brightstaff.signals.schemas import SignalGroup, SignalInstance, SignalType
from brightstaff.signals.text import f32

__all__ = ["ToolCall", "analyze_loops", "parse_tool_call"]

RETRY_THRESHOLD = 3
DRIFT_THRESHOLD = 3
OSCILLATION_CYCLES = 3
ARROW = " \u2192 "


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call: its row index, name and canonical arguments."""

    index: int
    name: str
    args: str
    args_dict: dict[str, Any] | None = None

    def same_args(self, other: ToolCall) -> bool:
        """Equal argument objects, else equal argument texts."""
        if self.args_dict is not None and other.args_dict is not None:
            return self.args_dict == other.args_dict
        return self.args == other.args


def _object_call(index: int, parsed: dict[str, Any]) -> ToolCall:
    name = parsed.get("name", parsed.get("function"))
    name = name if isinstance(name, str) else "unknown"
    if "arguments" in parsed or "args" in parsed:
        raw = parsed.get("arguments", parsed.get("args"))
        if isinstance(raw, dict):
            return ToolCall(index, name, canonical_json(raw), raw)
        return ToolCall(index, name, raw if isinstance(raw, str) else canonical_json(raw))
    return ToolCall(index, name, "")


def parse_tool_call(index: int, value: str) -> ToolCall:
    """A ``function_call`` row as JSON ``{name, arguments}``, ``name({...})`` or a bare name."""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return _object_call(index, parsed)
    paren = value.find("(")
    if paren > 0:
        name = value[:paren].strip()
        args_part = value[paren:]
        if args_part.endswith(")") and len(args_part) >= 2:
            inner = args_part[1:-1].strip()
            try:
                obj = json.loads(inner)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                return ToolCall(index, name, canonical_json(obj), obj)
            return ToolCall(index, name, inner)
        return ToolCall(index, name, args_part)
    return ToolCall(index, value.strip(), "")


def _retries(calls: Sequence[ToolCall]) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(calls):
        j = i + 1
        while j < len(calls) and calls[j].name == calls[i].name and calls[j].same_args(calls[i]):
            j += 1
        if j - i >= RETRY_THRESHOLD:
            found.append((calls[i].index, calls[j - 1].index, calls[i].name))
            i = j
        else:
            i += 1
    return found


def _drifts(calls: Sequence[ToolCall]) -> list[tuple[int, int, str, int]]:
    found: list[tuple[int, int, str, int]] = []
    i = 0
    while i < len(calls):
        seen = [calls[i].args]
        j = i + 1
        while j < len(calls) and calls[j].name == calls[i].name:
            if calls[j].args not in seen:
                seen.append(calls[j].args)
            j += 1
        if j - i >= DRIFT_THRESHOLD and len(seen) >= 2:
            found.append((calls[i].index, calls[j - 1].index, calls[i].name, len(seen)))
            i = j
        else:
            i += 1
    return found


def _cycle_at(calls: Sequence[ToolCall], i: int) -> tuple[list[str], int] | None:
    for width in range(2, min(5, len(calls) - i) + 1):
        names = [calls[i + k].name for k in range(width)]
        if len(set(names)) < 2:
            continue
        cycles, pos = 1, i + width
        while pos + width <= len(calls) and all(
            calls[pos + k].name == names[k] for k in range(width)
        ):
            cycles += 1
            pos += width
        if cycles >= OSCILLATION_CYCLES:
            return names, cycles
    return None


def _oscillations(calls: Sequence[ToolCall]) -> list[tuple[int, int, list[str], int]]:
    need = 2 * OSCILLATION_CYCLES
    found: list[tuple[int, int, list[str], int]] = []
    i = 0
    while i + need <= len(calls):
        cycle = _cycle_at(calls, i)
        if cycle is None:
            i += 1
            continue
        names, cycles = cycle
        end = i + cycles * len(names) - 1
        found.append((calls[i].index, calls[end].index, names, cycles))
        i = end + 1 - len(names)
    if len(found) > 1:
        found.sort(key=lambda p: (p[0], -(p[1] - p[0])))
        kept, last_end = [], -1
        for item in found:
            if item[0] > last_end:
                last_end = item[1]
                kept.append(item)
        found = kept
    return found


def _calls_between(calls: Sequence[ToolCall], start: int, end: int) -> int:
    return sum(1 for c in calls if start <= c.index <= end)


def analyze_loops(rows: Sequence[Row]) -> SignalGroup:
    """Retry, parameter-drift and oscillation signals over the ``function_call`` rows."""
    group = SignalGroup("loops")
    calls = [
        parse_tool_call(i, value) for i, (role, value) in enumerate(rows) if role == "function_call"
    ]
    if len(calls) < RETRY_THRESHOLD:
        return group
    retries = _retries(calls)
    for start, end, name in retries:
        count = _calls_between(calls, start, end)
        group.add(
            SignalInstance(
                SignalType.LOOPS_RETRY,
                start,
                f"Tool '{name}' called {count} times with identical arguments",
                f32(0.95),
                {
                    "tool_name": name,
                    "start_index": start,
                    "end_index": end,
                    "call_count": count,
                    "loop_type": "retry",
                },
            )
        )
    for start, end, name, variations in _drifts(calls):
        if any(not (end < r[0] or start > r[1]) for r in retries):
            continue
        count = _calls_between(calls, start, end)
        group.add(
            SignalInstance(
                SignalType.LOOPS_PARAMETER_DRIFT,
                start,
                f"Tool '{name}' called {count} times with {variations} different argument "
                "variations",
                f32(0.85),
                {
                    "tool_name": name,
                    "start_index": start,
                    "end_index": end,
                    "call_count": count,
                    "variation_count": variations,
                    "loop_type": "parameter_drift",
                },
            )
        )
    for start, end, names, cycles in _oscillations(calls):
        group.add(
            SignalInstance(
                SignalType.LOOPS_OSCILLATION,
                start,
                f"Oscillation pattern [{ARROW.join(names)}] repeated {cycles} times",
                f32(0.9),
                {
                    "pattern": names,
                    "start_index": start,
                    "end_index": end,
                    "cycle_count": cycles,
                    "loop_type": "oscillation",
                },
            )
        )
    return group
