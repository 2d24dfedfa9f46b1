"""Reading a default target's reply and writing the `x-arch-*` metadata of a tool call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from plano_common.clip import clip
from plano_common.config.types import PromptTarget
from plano_common.errors import BadGateway, InternalError
from prompt_gateway.chunks import fenced_tool_calls
from prompt_gateway.intent import FC_MODEL_RESPONSE_KEY, FunctionCall, Intent
from prompt_gateway.state import ARCH_STATE_KEY, encode_state

__all__ = [
    "API_RESPONSE_KEY",
    "TOOL_CALL_KEY",
    "DefaultReply",
    "tool_call_metadata",
    "unknown_target",
]

TOOL_CALL_KEY = "x-arch-tool-call-message"
API_RESPONSE_KEY = "x-arch-api-response-message"
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class DefaultReply:
    """The parts of a default target's chat-completion reply the gateway uses."""

    model: str
    content: str
    id: str | None

    @classmethod
    def parse(cls, text: str, host: str, path: str) -> DefaultReply:
        """Read a `chat.completion`; raises BadGateway when it is not one."""
        try:
            body = msgspec.json.decode(text)
            message = body["choices"][0]["message"]
            content = message.get("content")
        except (msgspec.DecodeError, KeyError, IndexError, TypeError, AttributeError):
            raise BadGateway(
                f"the default target host={host}, path={path} did not answer with a chat completion"
            ) from None
        model = body.get("model")
        reply_id = body.get("id")
        return cls(
            model=model if isinstance(model, str) and model else "default_target",
            content=content if isinstance(content, str) else "",
            id=reply_id if isinstance(reply_id, str) and reply_id else None,
        )


def tool_call_metadata(
    intent: Intent, call: FunctionCall, api_text: str
) -> tuple[str, dict[str, Any]]:
    """The fenced Arch-Function answer and the response metadata of one tool call."""
    fc_text = intent.fc_model_response or fenced_tool_calls([(call.name, call.arguments)])
    tool_message: dict[str, Any] = {
        "role": "assistant",
        "content": fc_text,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _encode(call.arguments).decode()},
            }
        ],
    }
    api_message = {"role": "tool", "content": api_text, "tool_call_id": call.id}
    metadata = {
        TOOL_CALL_KEY: _encode(tool_message).decode(),
        API_RESPONSE_KEY: _encode(api_message).decode(),
        ARCH_STATE_KEY: encode_state([tool_message, api_message]),
        FC_MODEL_RESPONSE_KEY: fc_text,
    }
    return fc_text, metadata


def unknown_target(name: str, target: PromptTarget | None) -> InternalError:
    """500 for a tool call the gateway cannot serve."""
    if target is None:
        return InternalError(
            f"the function-calling service chose {clip(name, 100)!r}, which is not a configured "
            "prompt target"
        )
    return InternalError(f"prompt target {name!r} has no endpoint to call")
