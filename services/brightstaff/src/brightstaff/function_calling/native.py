"""The native-tools backend: any configured chat model with ``tools`` and ``tool_choice: auto``.

The request's tools are offered as they are, plus one more, `request_missing_parameters`, that
the model calls when a function is needed but a required value is unknown. A call to it is the
clarification outcome; calls to the request's tools (verified like Arch-Function's) are the
tool-call outcome; a text answer means no intent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from brightstaff.function_calling.answer import FcOutcome, FcRequest
from brightstaff.function_calling.parsing import new_call_id
from brightstaff.function_calling.upstream import ModelCallError, ModelClient
from brightstaff.function_calling.verify import verify_tool_calls

__all__ = ["CLARIFY_TOOL", "NativeToolsBackend", "json_schema_tool"]

CLARIFY_TOOL = "request_missing_parameters"
INSTRUCTION = (
    "Decide whether the user's latest request needs the functions you are given. When it does "
    "and every required parameter is known from the conversation, call the functions (several "
    "at once when needed). Never guess a required value the user did not give: call "
    f"{CLARIFY_TOOL} instead, naming the functions and asking for the missing values. When no "
    "function applies, answer in text."
)
_CLARIFY_DEFINITION = {
    "type": "function",
    "function": {
        "name": CLARIFY_TOOL,
        "description": "Ask the user for required parameter values missing from the conversation.",
        "parameters": {
            "type": "object",
            "properties": {
                "required_functions": {"type": "array", "items": {"type": "string"}},
                "clarification": {"type": "string", "description": "The question to the user."},
            },
            "required": ["required_functions", "clarification"],
        },
    },
}
_JSON_SCHEMA_TYPES = {
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "str": "string",
    "list": "array",
    "tuple": "array",
    "set": "array",
    "dict": "object",
    "dictionary": "object",
}
"""Python type names (the Arch-Function tool dialect) → JSON Schema names chat models expect."""
logger = logging.getLogger(__name__)


def json_schema_tool(tool: Any) -> Any:
    """A tool whose parameters are valid JSON Schema for a chat model's native tool calling.

    Prompt targets describe parameters with Python type names (``str``, ``int``) and may omit
    ``"type": "object"``; OpenAI-style APIs reject both. Other tools pass unchanged.
    """
    if not isinstance(tool, dict) or not isinstance(tool.get("function"), dict):
        return tool
    function = tool["function"]
    parameters = function.get("parameters")
    if not isinstance(parameters, dict):
        return tool
    properties = parameters.get("properties")
    fixed_properties = properties
    if isinstance(properties, dict):
        fixed_properties = {name: _json_schema_property(spec) for name, spec in properties.items()}
    fixed = {**parameters, "type": parameters.get("type", "object")}
    if fixed_properties is not None:
        fixed["properties"] = fixed_properties
    return {**tool, "function": {**function, "parameters": fixed}}


def _json_schema_property(spec: Any) -> Any:
    if not isinstance(spec, dict):
        return spec
    kind = spec.get("type")
    if isinstance(kind, str) and kind in _JSON_SCHEMA_TYPES:
        return {**spec, "type": _JSON_SCHEMA_TYPES[kind]}
    return spec


def _fenced(value: Any) -> str:
    return f"```json\n{json.dumps(value, ensure_ascii=False, separators=(',', ':'))}\n```"


class NativeToolsBackend:
    """Function calling through a chat model's own tool calling."""

    name = "native"

    def __init__(self, client: ModelClient, provider: str, model: str) -> None:
        self.client = client
        self.provider = provider
        self.model = model

    def _body(self, request: FcRequest) -> dict[str, Any]:
        tools = [json_schema_tool(t) for t in request.tools or ()]
        names = {t.get("function", {}).get("name") for t in tools if isinstance(t, dict)}
        if CLARIFY_TOOL not in names:
            tools.append(_CLARIFY_DEFINITION)
        return {
            "model": self.model,
            "messages": [{"role": "system", "content": INSTRUCTION}, *request.messages],
            "tools": tools,
            "tool_choice": "auto",
            "temperature": 0.1,
        }

    async def answer(self, request: FcRequest, messages: list[dict[str, str]]) -> FcOutcome:
        """The outcome of one tool-calling completion (`messages` is unused here: the model
        sees the client's own history)."""
        del messages
        reply = await self.client.complete(self.provider, self._body(request), request.request_id)
        message = _message(reply)
        calls = [c for c in message.get("tool_calls") or () if isinstance(c, dict)]
        if not calls:
            text = message.get("content")
            return FcOutcome(
                raw_response=_fenced({"response": text if isinstance(text, str) else ""})
            )
        clarify = next((c for c in calls if _name(c) == CLARIFY_TOOL), None)
        if clarify is not None:
            return _clarification(clarify)
        renamed = [_our_call(c) for c in calls]
        listed = [{"name": c["function"]["name"], "arguments": _arguments(c)} for c in renamed]
        outcome = FcOutcome(raw_response=_fenced({"tool_calls": listed}))
        verification = verify_tool_calls(request.tools or [], renamed)
        if not verification.is_valid:
            logger.warning("invalid tool call: %s", verification.error_message[:300])
            return outcome
        outcome.tool_calls = renamed
        return outcome


def _message(reply: dict[str, Any]) -> dict[str, Any]:
    choices = reply.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return message
    raise ModelCallError("model answer has no message")


def _name(call: dict[str, Any]) -> str:
    function = call.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else ""


def _raw_arguments(call: dict[str, Any]) -> str:
    function = call.get("function")
    args = function.get("arguments") if isinstance(function, dict) else None
    if isinstance(args, str):
        return args
    return json.dumps(args if args is not None else {}, separators=(",", ":"))


def _arguments(call: dict[str, Any]) -> Any:
    try:
        return json.loads(call["function"]["arguments"])
    except ValueError:
        return call["function"]["arguments"]


def _our_call(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_call_id(),
        "type": "function",
        "function": {"name": _name(call), "arguments": _raw_arguments(call)},
    }


def _clarification(call: dict[str, Any]) -> FcOutcome:
    try:
        args = json.loads(_raw_arguments(call))
    except ValueError:
        args = {}
    args = args if isinstance(args, dict) else {}
    text = args.get("clarification")
    functions = args.get("required_functions")
    functions = [f for f in functions if isinstance(f, str)] if isinstance(functions, list) else []
    text = text if isinstance(text, str) else ""
    return FcOutcome(
        content=text,
        raw_response=_fenced({"required_functions": functions, "clarification": text}),
    )
