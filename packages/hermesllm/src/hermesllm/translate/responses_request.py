"""OpenAI Responses request → `Conversation`."""

from typing import Any, Literal

import msgspec

from hermesllm.errors import RequestParseError, UnsupportedConversionError
from hermesllm.translate.conversation import (
    Conversation,
    JsonObject,
    Media,
    OutputFormat,
    Reasoning,
    Text,
    ToolCall,
    ToolChoiceMode,
    ToolResult,
    ToolSpec,
    Turn,
    append_block,
    decode_request,
)
from hermesllm.translate.media import media_from_url
from hermesllm.types import openai_responses as rs

__all__ = ["decode_responses_request", "responses_to_conversation"]

_DECODER = msgspec.json.Decoder(rs.ResponsesRequest)
_SYSTEM_ROLES = frozenset({"system", "developer"})
_WEB_SEARCH_TYPES = frozenset({"web_search", "web_search_preview", "web_search_2025_08_26"})
_STRING_CHOICES: dict[str, ToolChoiceMode] = {
    "auto": "auto",
    "required": "required",
    "none": "none",
}
_CUSTOM_TOOL_PARAMETERS: JsonObject = {
    "type": "object",
    "properties": {"input": {"type": "string"}},
    "required": ["input"],
}


def decode_responses_request(body: bytes) -> rs.ResponsesRequest:
    """Decode a responses request; a malformed body raises RequestParseError naming the field."""
    return decode_request(_DECODER, body, "responses")


def _convert_item(item: JsonObject, where: str) -> rs.InputItem:
    if "type" not in item:
        item = {"type": "message", **item}
    try:
        converted: rs.InputItem = msgspec.convert(item, rs.InputItem)
        return converted
    except msgspec.ValidationError as exc:
        raise RequestParseError(f"invalid responses request: {where}: {exc}") from None


def _parts(content: str | list[rs.ContentPart], where: str) -> list[Text | Media]:
    if isinstance(content, str):
        return [Text(content)]
    blocks: list[Text | Media] = []
    for part in content:
        if isinstance(part, rs.InputText | rs.PlainText | rs.OutputText):
            blocks.append(Text(part.text))
        elif isinstance(part, rs.Refusal):
            blocks.append(Text(part.refusal))
        elif isinstance(part, rs.InputImage):
            if part.image_url is None:
                raise UnsupportedConversionError(
                    f"{where}: an image given by file_id can only be sent to OpenAI"
                )
            blocks.append(media_from_url(part.image_url))
        elif isinstance(part, rs.InputFile):
            blocks.append(_file(part, where))
        else:
            raise UnsupportedConversionError(
                f"{where}: audio input can only be sent to an OpenAI upstream"
            )
    return blocks


def _file(part: rs.InputFile, where: str) -> Media:
    name = part.filename or ""
    if part.file_data is not None:
        data = part.file_data
        if not data.startswith("data:"):
            data = f"data:application/pdf;base64,{data}"
        return media_from_url(data, "document", name)
    if part.file_url is not None:
        return media_from_url(part.file_url, "document", name)
    raise UnsupportedConversionError(f"{where}: a file given by file_id can only be sent to OpenAI")


def _items(request: rs.ResponsesRequest) -> list[JsonObject]:
    value = request.input
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if isinstance(value, dict):
        return [value]
    return value


def responses_to_conversation(request: rs.ResponsesRequest, model: str) -> Conversation:
    """Parse a Responses request into the neutral form."""
    system: list[Text] = []
    if request.instructions:
        system.append(Text(request.instructions))
    turns: list[Turn] = []
    for index, raw in enumerate(_items(request)):
        _add_item(turns, system, raw, f"input[{index}]")
    conversation = Conversation(
        model=model,
        turns=turns,
        system=system,
        parallel_tool_calls=request.parallel_tool_calls,
        max_tokens=request.max_output_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        reasoning_effort=request.reasoning.effort if request.reasoning else None,
        user=request.user,
        metadata=request.metadata,
        stream=bool(request.stream),
    )
    for position, tool in enumerate(request.tools or ()):
        _add_tool(conversation, tool, f"tools[{position}]")
    _set_tool_choice(conversation, request.tool_choice)
    text_format = request.text.format if request.text else None
    if text_format is not None and text_format.type != "text":
        if text_format.type == "json_object":
            conversation.output_format = OutputFormat()
        else:
            conversation.output_format = OutputFormat(
                text_format.schema or {"type": "object"},
                text_format.name or "response",
                text_format.strict,
                text_format.description,
            )
    return conversation


def _add_item(turns: list[Turn], system: list[Text], raw: Any, where: str) -> None:
    if not isinstance(raw, dict):
        raise RequestParseError(f"invalid responses request: {where} is not an object")
    kind = rs.input_item_type(raw)
    if kind not in rs.KNOWN_ITEM_TYPES:
        raise UnsupportedConversionError(
            f"{where}: Responses input items of type {kind!r} can only be sent to OpenAI"
        )
    item = _convert_item(raw, where)
    if isinstance(item, rs.MessageItem):
        blocks = _parts(item.content, where)
        if item.role in _SYSTEM_ROLES:
            system.extend(block for block in blocks if isinstance(block, Text))
        else:
            role: Literal["user", "assistant"] = "assistant" if item.role == "assistant" else "user"
            for block in blocks:
                append_block(turns, role, block)
    elif isinstance(item, rs.FunctionCallItem):
        append_block(turns, "assistant", ToolCall(item.call_id, item.name, item.arguments))
    elif isinstance(item, rs.CustomToolCallItem):
        arguments = msgspec.json.encode({"input": item.input}).decode()
        append_block(turns, "assistant", ToolCall(item.call_id, item.name, arguments))
    elif isinstance(item, rs.FunctionCallOutputItem | rs.CustomToolCallOutputItem):
        append_block(turns, "user", ToolResult(item.call_id, _parts(item.output, where)))
    elif isinstance(item, rs.ReasoningItem):
        texts = [part.text for part in item.content or ()] or [part.text for part in item.summary]
        if texts:
            append_block(turns, "assistant", Reasoning("\n\n".join(texts)))
    else:
        raise UnsupportedConversionError(
            f"{where}: item_reference needs items stored by OpenAI; send the items themselves"
        )


def _add_tool(conversation: Conversation, tool: rs.ResponsesTool, where: str) -> None:
    if tool.type == "function":
        if not tool.name:
            raise RequestParseError(f"invalid responses request: {where}.name is required")
        conversation.tools.append(
            ToolSpec(tool.name, tool.description, tool.parameters, tool.strict)
        )
    elif tool.type == "custom":
        if not tool.name:
            raise RequestParseError(f"invalid responses request: {where}.name is required")
        conversation.tools.append(ToolSpec(tool.name, tool.description, _CUSTOM_TOOL_PARAMETERS))
    elif tool.type == "namespace":
        for member in tool.tools or ():
            try:
                converted = msgspec.convert(member, rs.ResponsesTool)
            except msgspec.ValidationError as exc:
                raise RequestParseError(f"invalid responses request: {where}: {exc}") from None
            if converted.type not in ("function", "custom"):
                raise RequestParseError(
                    f"invalid responses request: {where}: namespace members must be "
                    "function or custom tools"
                )
            _add_tool(conversation, converted, where)
    elif tool.type in _WEB_SEARCH_TYPES:
        if conversation.web_search is None:
            conversation.web_search = {}
    else:
        raise UnsupportedConversionError(
            f"{where}: the {tool.type!r} tool is hosted by OpenAI and can only be used "
            "with an OpenAI Responses upstream"
        )


def _set_tool_choice(conversation: Conversation, choice: str | JsonObject | None) -> None:
    if choice is None:
        return
    if isinstance(choice, str):
        if choice not in _STRING_CHOICES:
            raise RequestParseError(f"invalid responses request: unknown tool_choice {choice!r}")
        conversation.tool_choice = _STRING_CHOICES[choice]
        return
    kind = choice.get("type")
    name = choice.get("name")
    if kind in ("function", "custom") and isinstance(name, str):
        conversation.tool_choice = "tool"
        conversation.tool_choice_name = name
    elif kind == "allowed_tools":
        conversation.tool_choice = "required" if choice.get("mode") == "required" else "auto"
    else:
        conversation.tool_choice = "auto"
