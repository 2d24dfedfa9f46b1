"""Units of the Arch-Function protocol: parsing and repair, verification and coercion,
uncertainty, the token state machine, prompt rewriting and truncation, backend choice."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from brightstaff.function_calling.hallucination import HallucinationState, uncertainty
from brightstaff.function_calling.parsing import fix_json, parse_answer
from brightstaff.function_calling.prompt import PromptError, process_messages, truncate
from brightstaff.function_calling.settings import (
    FunctionCallingSettingsError,
    choose_backend,
    timeout_seconds,
)
from brightstaff.function_calling.verify import check_type, coerce, verify_tool_calls
from brightstaff.models import Models
from plano_common.config.loader import load_config_text
from plano_testkit.arch_function import (
    CONFIDENT_LOGPROBS,
    UNCERTAIN_LOGPROBS,
    tokenize,
    tool_calls_text,
)

from .conftest import TOOLS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"name": "test", "value": 123}', {"name": "test", "value": 123}),
        ('{"name": "test", "value": 123', {"name": "test", "value": 123}),
        ('{"a": [1, 2}', {"a": [1, 2]}),
        ('{"a": 1}}]', {"a": 1}),
        ("{'a': 'b'}", {"a": "b"}),
    ],
)
def test_fix_json(text: str, expected: Any) -> None:
    assert fix_json(text) == expected


def test_parse_tool_calls_and_clarification() -> None:
    parsed = parse_answer(
        '{"tool_calls": [{"name": "get_weather", "arguments": {"location": "NYC"}}]}'
    )
    assert parsed.is_valid and parsed.tool_calls[0]["function"]["name"] == "get_weather"
    assert json.loads(parsed.tool_calls[0]["function"]["arguments"]) == {"location": "NYC"}
    parsed = parse_answer(
        '{"required_functions": ["get_weather"], "clarification": "What location?"}'
    )
    assert parsed.required_functions == ["get_weather"] and parsed.clarification == "What location?"


def test_parse_escaped_fenced_answer() -> None:
    parsed = parse_answer('```json\\n{\\"response\\": \\"hello\\"}\n```')
    assert parsed.response == "hello"
    assert parsed.raw_response == '```json\n{"response":"hello"}\n```'


def test_parse_garbage_is_invalid() -> None:
    parsed = parse_answer("no json here")
    assert not parsed.is_valid and parsed.error_message.startswith("Failed to fix JSON")


@pytest.mark.parametrize(
    ("value", "target", "ok"),
    [
        (42, "integer", True),
        (42, "int", True),
        (3.15, "integer", False),
        (True, "integer", False),
        (3.15, "number", True),
        (42, "number", True),
        (True, "boolean", True),
        ("true", "boolean", False),
        ("hello", "string", True),
        (123, "string", False),
        ([1], "array", True),
        ({}, "array", False),
        ({"k": "v"}, "object", True),
        ([], "dict", False),
        (42, "unknown_type", True),
    ],
)
def test_check_type(value: Any, target: str, ok: bool) -> None:
    assert check_type(value, target) is ok


def test_coercions() -> None:
    assert isinstance(coerce(42, "float"), float)
    assert coerce("[1, 2]", "array") == [1, 2]
    assert coerce("not a list", "array") == "not a list"
    assert coerce(5, "string") == "5" and coerce({"a": 1}, "str") == '{"a":1}'
    assert coerce("abc", "integer") == "abc"


def _call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "call_1",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }


def test_verify_writes_coerced_arguments_back() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {"properties": {"xs": {"type": "array"}, "n": {"type": "number"}}},
            },
        }
    ]
    call = _call("f", {"xs": "[1, 2]", "n": 2})
    assert verify_tool_calls(tools, [call]).is_valid
    assert json.loads(call["function"]["arguments"]) == {"xs": [1, 2], "n": 2}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (_call("nope", {}), "nope is not available!"),
        (
            _call("get_time", {}),
            "`tz` is required by the function `get_time` but not found in the tool call!",
        ),
        (
            _call("get_time", {"tz": "UTC", "x": 1}),
            "Parameter `x` is not defined in the function `get_time`.",
        ),
        (
            _call("get_time", {"tz": "UTC", "hours": "two"}),
            "Parameter `hours` is expected to have the data type `number`, got incompatible type.",
        ),
    ],
)
def test_verify_messages(call: dict[str, Any], message: str) -> None:
    outcome = verify_tool_calls(TOOLS, [call])
    assert not outcome.is_valid and outcome.error_message == message


def test_uncertainty() -> None:
    assert uncertainty([]).entropy == 0.0 and uncertainty([]).probability == 0.0
    measured = uncertainty([-0.1, -2.0, -3.0])
    assert measured.entropy > 0 and measured.varentropy > 0
    assert math.isclose(measured.probability, math.exp(-0.1))
    assert uncertainty(CONFIDENT_LOGPROBS).entropy < 1e-4
    assert (
        uncertainty(UNCERTAIN_LOGPROBS).entropy > 1e-4
        and uncertainty(UNCERTAIN_LOGPROBS).varentropy > 1e-4
    )


def _run(text: str, uncertain: tuple[str, ...]) -> HallucinationState:
    state = HallucinationState.for_tools(TOOLS)
    for token in tokenize(text):
        logprobs = UNCERTAIN_LOGPROBS if token.strip() in uncertain else CONFIDENT_LOGPROBS
        if state.append(token, list(logprobs)):
            break
    return state


def test_state_machine_follows_names_and_values() -> None:
    text = tool_calls_text([("get_weather", {"city": "New York", "unit": "celsius", "days": 2})])
    state = _run(text, ("York",))
    assert not state.hallucination
    assert state.function_name == "get_weather" and state.parameter_names == [
        "city",
        "unit",
        "days",
    ]
    state = _run(text, ("New",))
    assert state.hallucination and state.error_message.startswith("token 'New' is uncertain.")


def test_unknown_function_value_is_checked() -> None:
    state = _run(tool_calls_text([("launch", {"target": "moon"})]), ("moon",))
    assert state.hallucination
    assert state.error_message == "Function name launch not found in function properties"


def test_process_messages_rules() -> None:
    with pytest.raises(PromptError):
        process_messages(
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], TOOLS
        )
    out = process_messages([{"role": "user", "content": "hi"}], None)
    assert out == [{"role": "user", "content": "hi"}]
    fenced = '```json\n{"tool_calls": [{"name": "lookup", "arguments": {}}]}\n```'
    out = process_messages(
        [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": fenced},
            {"role": "tool", "content": "r"},
        ],
        None,
    )
    assert out[-1] == {
        "role": "user",
        "content": '<tool_response>\n{"name":"lookup","result":"r"}\n</tool_response>',
    }


def test_truncate_keeps_system_and_cuts_at_a_user_message() -> None:
    messages = [{"role": "system", "content": "s" * 400}]
    for i in range(10):
        messages += [
            {"role": "user", "content": f"u{i}" + "x" * 800},
            {"role": "assistant", "content": "a" * 800},
        ]
    kept = truncate(messages, 1024)
    assert kept[0] == messages[0] and kept[1]["role"] == "user"
    assert len(kept) < len(messages) and kept[-1] == messages[-1]
    assert truncate(messages[:3], 1024) == messages[:3]


BASE = """
version: v0.4.0
listeners: [{type: model, name: llm, port: 12000}]
model_providers:
  - model: openai/gpt-4o-mini
    access_key: k
    default: true
  - model: openai/gpt-4o
    access_key: k
"""


def test_backend_choice() -> None:
    plain = load_config_text(BASE, environ={})
    assert choose_backend(plain, Models(plain), {}) == choose_backend(
        plain, Models(plain), {"PLANO_FUNCTION_CALLING_BACKEND": "native"}
    )
    choice = choose_backend(plain, Models(plain), {})
    assert choice is not None and (choice.kind, choice.model) == ("native", "gpt-4o-mini")
    picked = choose_backend(plain, Models(plain), {"PLANO_FUNCTION_CALLING_MODEL": "openai/gpt-4o"})
    assert picked is not None and picked.model == "gpt-4o"
    hosted = choose_backend(plain, Models(plain), {"PLANO_FUNCTION_CALLING_BACKEND": "arch"})
    assert hosted is not None and (hosted.kind, hosted.provider) == ("arch", "arch-function")
    own = load_config_text(
        BASE
        + "  - name: arch-function\n    model: openai/Arch-Function\n    base_url: http://fc:8000\n",
        environ={},
    )
    choice = choose_backend(own, Models(own), {})
    assert choice is not None and (choice.kind, choice.provider, choice.model) == (
        "arch",
        "arch-function",
        "Arch-Function",
    )
    with pytest.raises(FunctionCallingSettingsError):
        choose_backend(plain, Models(plain), {"PLANO_FUNCTION_CALLING_BACKEND": "magic"})
    with pytest.raises(FunctionCallingSettingsError):
        choose_backend(plain, Models(plain), {"PLANO_FUNCTION_CALLING_MODEL": "nope/none"})
    assert (
        timeout_seconds({}) == 60.0
        and timeout_seconds({"PLANO_FUNCTION_CALLING_TIMEOUT_SECONDS": "5"}) == 5.0
    )
    with pytest.raises(FunctionCallingSettingsError):
        timeout_seconds({"PLANO_FUNCTION_CALLING_TIMEOUT_SECONDS": "-1"})


def test_native_backend_offers_prompt_target_tools_as_json_schema() -> None:
    from brightstaff.function_calling.native import json_schema_tool

    target_tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather",
            "parameters": {
                "properties": {
                    "location": {"type": "str", "description": "city"},
                    "days": {"type": "int", "default": 2},
                    "units": {"type": "string", "enum": ["c", "f"]},
                },
                "required": ["location"],
            },
        },
    }
    fixed = json_schema_tool(target_tool)
    parameters = fixed["function"]["parameters"]
    assert parameters["type"] == "object"
    assert parameters["properties"]["location"] == {"type": "string", "description": "city"}
    assert parameters["properties"]["days"] == {"type": "integer", "default": 2}
    assert parameters["properties"]["units"]["type"] == "string"
    assert parameters["required"] == ["location"]
    assert target_tool["function"]["parameters"].get("type") is None  # input left unchanged
    assert json_schema_tool({"type": "function"}) == {"type": "function"}
