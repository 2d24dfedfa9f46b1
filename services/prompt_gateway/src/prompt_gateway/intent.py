"""The intent step: ask the function-calling service which target (if any) a prompt needs.

The request is `{messages, model, stream: false, tools, metadata}` on the configured URL
(brightstaff's `/function_calling` by default); the answer is a `chat.completion` whose
message has either empty content (no intent), clarification text (missing parameters) or
`tool_calls`, plus `metadata["x-arch-fc-model-response"]` with the model's raw answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from plano_common.errors import BadGateway, GatewayError
from prompt_gateway.errors import UpstreamApplicationError
from prompt_gateway.upstream import Callouts, Target

__all__ = [
    "FC_MODEL_RESPONSE_KEY",
    "FunctionCall",
    "Intent",
    "IntentClient",
    "parse_intent",
]

FC_MODEL_RESPONSE_KEY = "x-arch-fc-model-response"


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """One tool call of the function-calling answer, arguments decoded."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Intent:
    """What the function-calling service decided."""

    content: str = ""
    calls: tuple[FunctionCall, ...] = ()
    fc_model_response: str | None = None

    @property
    def matched(self) -> bool:
        """Content or tool calls: the prompt matched a target (or needs clarification)."""
        return bool(self.content) or bool(self.calls)


class IntentClient:
    """Calls the function-calling service."""

    def __init__(self, callouts: Callouts, target: Target, timeout: float) -> None:
        self.callouts = callouts
        self.target = target
        self.timeout = timeout

    async def decide(self, payload: dict[str, Any], headers: dict[str, str]) -> Intent:
        """POST the request; raises UpstreamApplicationError on a non-2xx answer."""
        target, path = self.target, self.target.path or "/"
        body = msgspec.json.encode(payload)
        reply = await self.callouts.call(target, "POST", path, headers, body, self.timeout)
        if not 200 <= reply.status < 300:
            text = reply.body.decode("utf-8", errors="replace")
            raise UpstreamApplicationError(target.name, path, reply.status, text)
        return parse_intent(reply.body)


def _unusable(reason: str) -> GatewayError:
    return BadGateway(f"the function-calling service returned an unusable answer: {reason}")


def parse_intent(raw: bytes) -> Intent:
    """The decision in a function-calling answer; raises BadGateway when it has no choice."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise _unusable("not JSON") from None
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _unusable("no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise _unusable("no message")
    content = message.get("content")
    calls = tuple(_call(index, item) for index, item in enumerate(message.get("tool_calls") or []))
    metadata = body.get("metadata")
    raw_answer = metadata.get(FC_MODEL_RESPONSE_KEY) if isinstance(metadata, dict) else None
    return Intent(
        content=content if isinstance(content, str) else "",
        calls=calls,
        fc_model_response=raw_answer if isinstance(raw_answer, str) else None,
    )


def _call(index: int, item: Any) -> FunctionCall:
    function = item.get("function") if isinstance(item, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise _unusable(f"tool_calls[{index}] has no function name")
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = msgspec.json.decode(arguments) if arguments.strip() else {}
        except msgspec.DecodeError:
            raise _unusable(f"tool_calls[{index}] arguments are not JSON") from None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise _unusable(f"tool_calls[{index}] arguments are not an object")
    call_id = item.get("id")
    return FunctionCall(
        id=call_id if isinstance(call_id, str) and call_id else f"call_{index}",
        name=function["name"],
        arguments=arguments,
    )
