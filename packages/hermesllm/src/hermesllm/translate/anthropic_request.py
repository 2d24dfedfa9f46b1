"""Anthropic Messages requests ↔ `Conversation`."""

from typing import Literal

import msgspec

from hermesllm.errors import RequestParseError, UnsupportedConversionError
from hermesllm.translate.conversation import (
    Block,
    Conversation,
    JsonObject,
    Media,
    OutputFormat,
    Reasoning,
    Text,
    ToolCall,
    ToolResult,
    ToolSpec,
    Turn,
    append_block,
    call_input,
    claude_stop_sequences,
    decode_request,
    has_text,
    trim_prefill,
)
from hermesllm.translate.media import guess_media_type
from hermesllm.translate.reasoning import claude_sampling, conversation_thinking
from hermesllm.types import anthropic as an

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "conversation_to_messages",
    "decode_messages_request",
    "messages_to_conversation",
]

DEFAULT_MAX_TOKENS = 4096

_DECODER = msgspec.json.Decoder(an.MessagesRequest)
_WEB_SEARCH_PREFIX = "web_search_"


def decode_messages_request(body: bytes) -> an.MessagesRequest:
    """Decode a messages request; a malformed body raises RequestParseError naming the field."""
    return decode_request(_DECODER, body, "messages")


def _media(block: an.ImageBlock | an.DocumentBlock, message: int) -> Text | Media:
    kind: Literal["image", "document"] = "image"
    name = ""
    if isinstance(block, an.DocumentBlock):
        kind, name = "document", block.title or ""
    source = block.source
    if isinstance(source, an.Base64Source):
        return Media(kind, source.media_type, source.data, name=name)
    if isinstance(source, an.UrlSource):
        media_type = guess_media_type(source.url) if kind == "image" else "application/pdf"
        return Media(kind, media_type, url=source.url, name=name)
    if isinstance(source, an.TextSource):
        return Text(source.data)
    if isinstance(source, an.ContentSource):
        if isinstance(source.content, str):
            return Text(source.content)
        return Text("".join(str(part.get("text", "")) for part in source.content))
    raise UnsupportedConversionError(
        f"messages[{message}]: a file uploaded to Anthropic (file_id) can only be sent to Anthropic"
    )


def _result_content(content: an.ToolResultContent, message: int) -> list[Text | Media]:
    if isinstance(content, str):
        return [Text(content)]
    return [
        Text(part.text) if isinstance(part, an.TextBlock) else _media(part, message)
        for part in content
    ]


def _block(block: an.ContentBlock, message: int) -> Block | None:
    if isinstance(block, an.TextBlock):
        return Text(block.text, block.cache_control)
    if isinstance(block, an.ImageBlock | an.DocumentBlock):
        return _media(block, message)
    if isinstance(block, an.ToolUseBlock):
        return ToolCall(block.id, block.name, input=block.input)
    if isinstance(block, an.ToolResultBlock):
        content = _result_content(block.content, message)
        return ToolResult(block.tool_use_id, content, bool(block.is_error))
    if isinstance(block, an.ThinkingBlock):
        return Reasoning(block.thinking, block.signature)
    if isinstance(block, an.RedactedThinkingBlock):
        return Reasoning(redacted=block.data)
    return None


def messages_to_conversation(request: an.MessagesRequest, model: str) -> Conversation:
    """Parse a Messages request into the neutral form (server-tool history blocks are dropped)."""
    turns: list[Turn] = []
    for index, message in enumerate(request.messages):
        if message.role not in ("user", "assistant"):
            raise RequestParseError(
                f"invalid messages request: messages[{index}].role must be user or assistant"
            )
        role: Literal["user", "assistant"] = "user" if message.role == "user" else "assistant"
        if isinstance(message.content, str):
            append_block(turns, role, Text(message.content))
            continue
        for content in message.content:
            block = _block(content, index)
            if block is not None:
                append_block(turns, role, block)
    system: list[Text] = []
    if isinstance(request.system, str):
        system.append(Text(request.system))
    elif request.system:
        system.extend(Text(block.text, block.cache_control) for block in request.system)
    conversation = Conversation(
        model=model,
        turns=turns,
        system=system,
        max_tokens=request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        stop=list(request.stop_sequences or ()),
        user=request.metadata.user_id if request.metadata else None,
        stream=bool(request.stream),
    )
    _read_tools(conversation, request.tools or [])
    _read_tool_choice(conversation, request.tool_choice)
    thinking = request.thinking
    if isinstance(thinking, an.ThinkingEnabled):
        conversation.thinking_budget = thinking.budget_tokens
    elif isinstance(thinking, an.ThinkingAdaptive):
        conversation.reasoning_effort = "medium"
    output = request.output_config
    if output is not None:
        if output.effort is not None:
            conversation.reasoning_effort = output.effort
        if output.format is not None:
            conversation.output_format = OutputFormat(output.format.schema)
    return conversation


def _read_tools(conversation: Conversation, tools: list[an.Tool]) -> None:
    for tool in tools:
        if tool.type is None or tool.type == "custom":
            conversation.tools.append(
                ToolSpec(tool.name, tool.description, tool.input_schema, tool.strict)
            )
        elif tool.type.startswith(_WEB_SEARCH_PREFIX):
            conversation.web_search = {}
        else:
            raise UnsupportedConversionError(
                f"the Anthropic server tool {tool.type!r} ({tool.name}) can only run on Anthropic"
            )


def _read_tool_choice(conversation: Conversation, choice: an.ToolChoice | None) -> None:
    if choice is None:
        return
    if isinstance(choice, an.ToolChoiceNone):
        conversation.tool_choice = "none"
        return
    if choice.disable_parallel_tool_use is not None:
        conversation.parallel_tool_calls = not choice.disable_parallel_tool_use
    if isinstance(choice, an.ToolChoiceAuto):
        conversation.tool_choice = "auto"
    elif isinstance(choice, an.ToolChoiceAny):
        conversation.tool_choice = "required"
    else:
        conversation.tool_choice = "tool"
        conversation.tool_choice_name = choice.name


def conversation_to_messages(conversation: Conversation) -> JsonObject:
    """Render the neutral form as a Messages request object."""
    messages: list[JsonObject] = []
    for index, turn in enumerate(conversation.turns):
        content = _render_blocks(turn.blocks, index + 1)
        if content:
            messages.append({"role": turn.role, "content": content})
    trim_prefill(messages)
    budget, max_tokens = conversation_thinking(conversation, DEFAULT_MAX_TOKENS)
    thinking = budget is not None
    body: JsonObject = {
        "model": conversation.model,
        "max_tokens": max_tokens if max_tokens is not None else DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    system = [text for text in conversation.system if has_text(text)]
    if system:
        body["system"] = _render_system(system)
    if conversation.tools or conversation.web_search is not None:
        body["tools"] = _render_tools(conversation)
        choice = _render_tool_choice(conversation)
        if choice is not None:
            body["tool_choice"] = choice
    temperature, top_p, top_k = claude_sampling(conversation, thinking)
    if temperature is not None:
        body["temperature"] = temperature
    if top_p is not None:
        body["top_p"] = top_p
    if top_k is not None:
        body["top_k"] = top_k
    stop = claude_stop_sequences(conversation.stop)
    if stop:
        body["stop_sequences"] = stop
    if budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if conversation.output_format is not None:
        schema = conversation.output_format.schema or {"type": "object"}
        body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    if conversation.user is not None:
        body["metadata"] = {"user_id": conversation.user}
    if conversation.stream:
        body["stream"] = True
    return body


def _render_system(system: list[Text]) -> str | list[JsonObject]:
    if len(system) == 1 and system[0].cache_control is None:
        return system[0].text
    return [_text_block(text) for text in system]


def _text_block(text: Text) -> JsonObject:
    block: JsonObject = {"type": "text", "text": text.text}
    if text.cache_control is not None:
        block["cache_control"] = text.cache_control
    return block


def _media_block(media: Media) -> JsonObject:
    source: JsonObject
    if media.url:
        source = {"type": "url", "url": media.url}
    else:
        source = {"type": "base64", "media_type": media.media_type, "data": media.data}
    block: JsonObject = {"type": media.kind, "source": source}
    if media.kind == "document" and media.name:
        block["title"] = media.name
    return block


def _render_blocks(blocks: list[Block], turn: int) -> list[JsonObject]:
    results: list[JsonObject] = []
    others: list[JsonObject] = []
    for block in blocks:
        if isinstance(block, Text):
            if has_text(block):
                others.append(_text_block(block))
        elif isinstance(block, Media):
            others.append(_media_block(block))
        elif isinstance(block, ToolCall):
            others.append(
                {
                    "type": "tool_use",
                    "id": block.id,
                    "name": block.name,
                    "input": call_input(block, turn),
                }
            )
        elif isinstance(block, ToolResult):
            results.append(_tool_result(block))
        elif block.redacted:
            others.append({"type": "redacted_thinking", "data": block.redacted})
        elif block.signature:
            others.append(
                {"type": "thinking", "thinking": block.text, "signature": block.signature}
            )
    return results + others if results else others


def _tool_result(result: ToolResult) -> JsonObject:
    parts = result.content
    content: str | list[JsonObject]
    if all(isinstance(part, Text) for part in parts):
        content = "".join(part.text for part in parts if isinstance(part, Text))
    else:
        content = [
            _text_block(part) if isinstance(part, Text) else _media_block(part) for part in parts
        ]
    block: JsonObject = {"type": "tool_result", "tool_use_id": result.call_id, "content": content}
    if result.is_error:
        block["is_error"] = True
    return block


def _render_tools(conversation: Conversation) -> list[JsonObject]:
    tools: list[JsonObject] = []
    for tool in conversation.tools:
        entry: JsonObject = {"name": tool.name}
        if tool.description is not None:
            entry["description"] = tool.description
        entry["input_schema"] = tool.parameters or {"type": "object", "properties": {}}
        tools.append(entry)
    if conversation.web_search is not None:
        tools.append({"type": "web_search_20250305", "name": "web_search"})
    return tools


def _render_tool_choice(conversation: Conversation) -> JsonObject | None:
    mode = conversation.tool_choice
    no_parallel = conversation.parallel_tool_calls is False
    choice: JsonObject
    if mode == "none":
        return {"type": "none"}
    if mode == "required":
        choice = {"type": "any"}
    elif mode == "tool":
        choice = {"type": "tool", "name": conversation.tool_choice_name}
    elif mode == "auto" or no_parallel:
        choice = {"type": "auto"}
    else:
        return None
    if no_parallel:
        choice["disable_parallel_tool_use"] = True
    return choice
