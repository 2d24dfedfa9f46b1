"""Structured output on Amazon Bedrock Converse, which has no JSON mode, through a forced tool.

A Chat Completions `response_format` or a Responses `text.format` of type `json_schema` or
`json_object` becomes one more tool, `OUTPUT_TOOL_NAME`, whose input schema is the requested
schema (`{"type": "object"}` for `json_object`), and the request forces it:

- no tools of the client's own (or `tool_choice: none`): `toolChoice: {tool: {name}}`;
- the client's tools with `auto`/`required`/no choice: `toolChoice: {any: {}}`, so the model
  either calls one of them or answers through the output tool;
- the client forcing one of its tools: that choice is kept;
- extended thinking on: `toolChoice: {auto: {}}` (Claude refuses a forced tool while thinking).

On the way back to a Chat or Responses client a call of the output tool becomes the message's
text (its input as compact JSON) and, when no other tool was called, the finish reason is
`stop` (`end_turn`), both in whole responses and streams (the tool's input deltas become text
deltas). Anthropic clients are not affected: their `output_config` still cannot go to Bedrock,
and their replies are never rewritten. The tool name is reserved on Bedrock requests.
"""

from __future__ import annotations

import msgspec

from hermesllm.errors import UnsupportedConversionError
from hermesllm.translate.conversation import (
    JsonObject,
    OutputFormat,
    Text,
    ToolCall,
    ToolSpec,
    call_arguments,
)
from hermesllm.translate.reply import Reply, ReplyBlock

__all__ = [
    "OUTPUT_TOOL_NAME",
    "check_tool_names",
    "output_tool",
    "output_tool_choice",
    "reply_with_output_text",
]

OUTPUT_TOOL_NAME = "plano_structured_output"


def output_tool(fmt: OutputFormat) -> ToolSpec:
    """The tool whose input is the structured answer (UnsupportedConversionError when the
    schema's root is not an object: a tool input always is)."""
    schema: JsonObject = dict(fmt.schema) if fmt.schema is not None else {"type": "object"}
    root_type = schema.setdefault("type", "object")
    if root_type != "object":
        raise UnsupportedConversionError(
            f"Bedrock structured output needs a JSON schema whose root is an object; "
            f"{fmt.name!r} has root type {root_type!r}"
        )
    what = f"the {fmt.name!r} JSON schema" if fmt.schema is not None else "a JSON object"
    description = (
        f"Give your final answer by calling this tool: its input is the response, following "
        f"{what}. Do not answer in plain text."
    )
    if fmt.description:
        description = f"{description} The response: {fmt.description}"
    return ToolSpec(OUTPUT_TOOL_NAME, description, schema)


def output_tool_choice(
    mode: str | None, forced_name: str | None, has_client_tools: bool, thinking: bool
) -> JsonObject:
    """The Converse `toolChoice` of a request that asks for structured output."""
    if thinking:
        return {"auto": {}}
    if mode == "tool" and forced_name:
        return {"tool": {"name": forced_name}}
    if has_client_tools and mode != "none":
        return {"any": {}}
    return {"tool": {"name": OUTPUT_TOOL_NAME}}


def check_tool_names(tools: list[ToolSpec]) -> None:
    """Refuse a client tool that uses the reserved name (its calls would turn into text)."""
    if any(tool.name == OUTPUT_TOOL_NAME for tool in tools):
        raise UnsupportedConversionError(
            f"the tool name {OUTPUT_TOOL_NAME!r} is reserved for structured output on Bedrock; "
            "rename the tool"
        )


def reply_with_output_text(reply: Reply) -> Reply:
    """The reply with output-tool calls turned into text (the same reply when there are none)."""
    blocks: list[ReplyBlock] = []
    for block in reply.blocks:
        if isinstance(block, ToolCall) and block.name == OUTPUT_TOOL_NAME:
            blocks.append(Text(call_arguments(block)))
        else:
            blocks.append(block)
    if blocks == reply.blocks:
        return reply
    if reply.finish_reason != "tool_calls" or any(isinstance(b, ToolCall) for b in blocks):
        return msgspec.structs.replace(reply, blocks=blocks)
    return msgspec.structs.replace(
        reply, blocks=blocks, finish_reason="stop", stop_reason="end_turn"
    )
