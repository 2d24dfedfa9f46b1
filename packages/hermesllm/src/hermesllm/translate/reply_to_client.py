"""`Reply` → the client's non-streaming response (Chat, Messages, Responses)."""

from collections.abc import Callable
from typing import Any

from hermesllm import stop_reasons
from hermesllm.apis import ClientApi
from hermesllm.errors import RequestParseError
from hermesllm.ids import bare_id, prefixed
from hermesllm.translate.conversation import (
    JsonObject,
    Reasoning,
    Text,
    ToolCall,
    call_arguments,
    call_input,
)
from hermesllm.translate.reply import Reply
from hermesllm.usage import Usage
from hermesllm.usage_wire import anthropic_usage, chat_usage, responses_usage

__all__ = ["REPLY_RENDERERS", "to_chat", "to_messages", "to_responses"]


def _tool_input(call: ToolCall) -> Any:
    """Arguments as a JSON value; text that is not JSON is kept under `_raw_arguments`."""
    try:
        return call_input(call, 0)
    except RequestParseError:
        return {"_raw_arguments": call.arguments}


def to_chat(reply: Reply) -> JsonObject:
    """A `chat.completion` object."""
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[JsonObject] = []
    for block in reply.blocks:
        if isinstance(block, Text):
            texts.append(block.text)
        elif isinstance(block, ToolCall):
            function = {"name": block.name, "arguments": call_arguments(block)}
            calls.append({"id": block.id, "type": "function", "function": function})
        elif block.text:
            reasoning.append(block.text)
    message: JsonObject = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if reply.refusal:
        message["refusal"] = reply.refusal
    body: JsonObject = {
        "id": reply.id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
    }
    if reply.usage is not None:
        body["usage"] = chat_usage(reply.usage)
    return body


def to_messages(reply: Reply) -> JsonObject:
    """A Messages `message` object."""
    content: list[JsonObject] = []
    for block in reply.blocks:
        if isinstance(block, Text):
            content.append({"type": "text", "text": block.text})
        elif isinstance(block, ToolCall):
            content.append(
                {
                    "type": "tool_use",
                    "id": block.id,
                    "name": block.name,
                    "input": _tool_input(block),
                }
            )
        elif isinstance(block, Reasoning):
            if block.redacted:
                content.append({"type": "redacted_thinking", "data": block.redacted})
            else:
                content.append(
                    {"type": "thinking", "thinking": block.text, "signature": block.signature}
                )
    if reply.refusal and not any(block.get("type") == "text" for block in content):
        content.append({"type": "text", "text": reply.refusal})
    return {
        "id": prefixed("msg_", reply.id),
        "type": "message",
        "role": "assistant",
        "model": reply.model,
        "content": content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": anthropic_usage(reply.usage or Usage()),
    }


def to_responses(reply: Reply) -> JsonObject:
    """A Responses `response` object with reasoning, message and function_call items."""
    body_id = bare_id(reply.id)
    output: list[JsonObject] = []
    texts: list[str] = []
    for index, block in enumerate(reply.blocks):
        if isinstance(block, Reasoning):
            if block.text:
                summary = [{"type": "summary_text", "text": block.text}]
                output.append(
                    {"id": f"rs_{body_id}_{index}", "type": "reasoning", "summary": summary}
                )
        elif isinstance(block, Text):
            texts.append(block.text)
        else:
            output.append(
                {
                    "id": prefixed("fc_", block.id),
                    "type": "function_call",
                    "call_id": block.id,
                    "name": block.name,
                    "arguments": call_arguments(block),
                    "status": "completed",
                }
            )
    status, incomplete = stop_reasons.openai_to_responses_status(reply.finish_reason)
    if texts or reply.refusal:
        content: list[JsonObject] = []
        if texts:
            content.append({"type": "output_text", "text": "".join(texts), "annotations": []})
        if reply.refusal:
            content.append({"type": "refusal", "refusal": reply.refusal})
        message = {
            "id": f"msg_{body_id}",
            "type": "message",
            "role": "assistant",
            "status": status,
            "content": content,
        }
        position = next(
            (i for i, item in enumerate(output) if item["type"] == "function_call"), len(output)
        )
        output.insert(position, message)
    body: JsonObject = {
        "id": f"resp_{body_id}",
        "object": "response",
        "created_at": reply.created,
        "model": reply.model,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }
    if reply.usage is not None:
        body["usage"] = responses_usage(reply.usage)
    return body


REPLY_RENDERERS: dict[ClientApi, Callable[[Reply], JsonObject]] = {
    ClientApi.CHAT: to_chat,
    ClientApi.MESSAGES: to_messages,
    ClientApi.RESPONSES: to_responses,
}
