"""OpenAI Chat Completions requests ↔ `Conversation`."""

import msgspec

from hermesllm.errors import UnsupportedConversionError
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
    call_arguments,
    decode_request,
)
from hermesllm.translate.media import data_url, media_from_url
from hermesllm.translate.reasoning import reasoning_effort
from hermesllm.types import openai_chat as chat

__all__ = ["chat_to_conversation", "conversation_to_chat", "decode_chat_request"]

_DECODER = msgspec.json.Decoder(chat.ChatRequest)


def decode_chat_request(body: bytes) -> chat.ChatRequest:
    """Decode a Chat Completions request (RequestParseError naming the field if malformed)."""
    return decode_request(_DECODER, body, "chat completions")


def _content_text(content: chat.Content | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if isinstance(part, chat.TextPart))


def _system_texts(content: chat.Content) -> list[Text]:
    """A system/developer message as one text, or one per part when a part is a cache
    breakpoint (so the breakpoint keeps its place)."""
    if isinstance(content, str):
        return [Text(content)]
    parts = [part for part in content if isinstance(part, chat.TextPart)]
    if not any(part.cache_control for part in parts):
        return [Text("".join(part.text for part in parts))]
    return [Text(part.text, part.cache_control) for part in parts]


def _content_blocks(content: chat.Content, index: int) -> list[Text | Media]:
    if isinstance(content, str):
        return [Text(content)]
    blocks: list[Text | Media] = []
    for part in content:
        if isinstance(part, chat.TextPart):
            blocks.append(Text(part.text, part.cache_control))
        elif isinstance(part, chat.ImagePart):
            blocks.append(media_from_url(part.image_url.url))
        elif isinstance(part, chat.FilePart):
            if part.file.file_data is None:
                raise UnsupportedConversionError(
                    f"messages[{index}]: a file referenced by file_id can only be sent to OpenAI"
                )
            file_data = part.file.file_data
            if not file_data.startswith("data:"):
                file_data = f"data:application/pdf;base64,{file_data}"
            blocks.append(media_from_url(file_data, "document", part.file.filename or ""))
        elif isinstance(part, chat.RefusalPart):
            blocks.append(Text(part.refusal))
        else:
            raise UnsupportedConversionError(
                f"messages[{index}]: audio input can only be sent to an OpenAI chat upstream"
            )
    return blocks


def _stop_list(stop: str | list[str] | None) -> list[str]:
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else list(stop)


def chat_to_conversation(request: chat.ChatRequest, model: str) -> Conversation:
    """Parse a Chat request into the neutral form (only for a non-Chat upstream)."""
    if request.n is not None and request.n > 1:
        raise UnsupportedConversionError(
            "n > 1 (several choices per request) is only supported by OpenAI chat upstreams"
        )
    system: list[Text] = []
    turns: list[Turn] = []
    for index, message in enumerate(request.messages):
        if isinstance(message, chat.UserMessage):
            for block in _content_blocks(message.content, index):
                append_block(turns, "user", block)
        elif isinstance(message, chat.AssistantMessage):
            _add_assistant(turns, message)
        elif isinstance(message, chat.ToolMessage):
            result = ToolResult(message.tool_call_id, _content_blocks(message.content, index))
            append_block(turns, "user", result)
        elif isinstance(message, (chat.SystemMessage, chat.DeveloperMessage)):
            system.extend(_system_texts(message.content))
        else:
            raise UnsupportedConversionError(
                f"messages[{index}]: legacy role 'function' messages cannot be translated; "
                "use tool messages"
            )
    conversation = Conversation(
        model=model,
        turns=turns,
        system=system,
        parallel_tool_calls=request.parallel_tool_calls,
        max_tokens=request.max_completion_tokens or request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        stop=_stop_list(request.stop),
        reasoning_effort=request.reasoning_effort,
        user=request.user,
        metadata=request.metadata,
        stream=bool(request.stream),
        web_search=request.web_search_options,
    )
    if request.tools:
        conversation.tools = [
            ToolSpec(
                t.function.name, t.function.description, t.function.parameters, t.function.strict
            )
            for t in request.tools
        ]
    _set_tool_choice(conversation, request.tool_choice)
    _set_output_format(conversation, request.response_format)
    return conversation


def _add_assistant(turns: list[Turn], message: chat.AssistantMessage) -> None:
    if message.reasoning_content:
        append_block(turns, "assistant", Reasoning(message.reasoning_content))
    text = _content_text(message.content) or message.refusal or ""
    if text:
        append_block(turns, "assistant", Text(text))
    for call in message.tool_calls or ():
        block = ToolCall(call.id, call.function.name, arguments=call.function.arguments)
        append_block(turns, "assistant", block)
    if not text and not message.tool_calls and not message.reasoning_content:
        append_block(turns, "assistant", Text(""))


def _set_tool_choice(conversation: Conversation, choice: chat.ToolChoice | None) -> None:
    if choice is None:
        return
    if isinstance(choice, chat.ToolChoiceFunction):
        conversation.tool_choice = "tool"
        conversation.tool_choice_name = choice.function.name
    else:
        conversation.tool_choice = choice


def _set_output_format(conversation: Conversation, fmt: chat.ResponseFormat | None) -> None:
    if fmt is None or fmt.type == "text":
        return
    spec = fmt.json_schema
    if fmt.type == "json_object" or spec is None:
        conversation.output_format = OutputFormat()
    else:
        conversation.output_format = OutputFormat(
            spec.schema or {"type": "object"}, spec.name, spec.strict, spec.description
        )


def conversation_to_chat(conversation: Conversation) -> JsonObject:
    """Render the neutral form as a Chat request object.

    A streaming request always asks for a final usage chunk: the gateway needs the counts.
    """
    messages: list[JsonObject] = []
    if conversation.system:
        system_text = "\n\n".join(text.text for text in conversation.system)
        messages.append({"role": "system", "content": system_text})
    for turn in conversation.turns:
        if turn.role == "user":
            _render_user(messages, turn.blocks)
        else:
            messages.append(_render_assistant(turn.blocks))
    body: JsonObject = {"model": conversation.model, "messages": messages}
    if conversation.tools:
        body["tools"] = [_render_tool(tool) for tool in conversation.tools]
    if conversation.tool_choice == "tool":
        body["tool_choice"] = {
            "type": "function",
            "function": {"name": conversation.tool_choice_name},
        }
    elif conversation.tool_choice is not None:
        body["tool_choice"] = conversation.tool_choice
    if conversation.parallel_tool_calls is not None and conversation.tools:
        body["parallel_tool_calls"] = conversation.parallel_tool_calls
    if conversation.max_tokens is not None:
        body["max_completion_tokens"] = conversation.max_tokens
    if conversation.temperature is not None:
        body["temperature"] = conversation.temperature
    if conversation.top_p is not None:
        body["top_p"] = conversation.top_p
    if conversation.stop:
        body["stop"] = conversation.stop
    effort = reasoning_effort(conversation.reasoning_effort, conversation.thinking_budget)
    if effort is not None:
        body["reasoning_effort"] = effort
    if conversation.output_format is not None:
        body["response_format"] = _render_format(conversation.output_format)
    if conversation.user is not None:
        body["user"] = conversation.user
    if conversation.metadata:
        body["metadata"] = conversation.metadata
    if conversation.web_search is not None:
        body["web_search_options"] = conversation.web_search
    if conversation.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _render_tool(tool: ToolSpec) -> JsonObject:
    function: JsonObject = {"name": tool.name}
    if tool.description is not None:
        function["description"] = tool.description
    function["parameters"] = tool.parameters or {"type": "object", "properties": {}}
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _render_format(fmt: OutputFormat) -> JsonObject:
    if fmt.schema is None:
        return {"type": "json_object"}
    spec: JsonObject = {"name": fmt.name, "schema": fmt.schema}
    if fmt.description is not None:
        spec["description"] = fmt.description
    if fmt.strict is not None:
        spec["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": spec}


def _part(block: Text | Media) -> JsonObject:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    if block.kind == "image":
        return {"type": "image_url", "image_url": {"url": data_url(block)}}
    if block.url:
        raise UnsupportedConversionError("OpenAI chat cannot take a document by URL")
    file: JsonObject = {"file_data": data_url(block)}
    if block.name:
        file["filename"] = block.name
    return {"type": "file", "file": file}


def _content(parts: list[Text | Media]) -> str | list[JsonObject]:
    if all(isinstance(part, Text) for part in parts):
        return "".join(part.text for part in parts if isinstance(part, Text))
    return [_part(part) for part in parts]


def _render_user(messages: list[JsonObject], blocks: list[Block]) -> None:
    rest: list[Text | Media] = []
    for block in blocks:
        if isinstance(block, ToolResult):
            text_parts = [part for part in block.content if isinstance(part, Text)]
            rest.extend(part for part in block.content if isinstance(part, Media))
            text = "".join(part.text for part in text_parts)
            if block.is_error:
                text = f"Error: {text}"
            messages.append({"role": "tool", "tool_call_id": block.call_id, "content": text})
        elif isinstance(block, Text | Media):
            rest.append(block)
    if rest:
        messages.append({"role": "user", "content": _content(rest)})


def _render_assistant(blocks: list[Block]) -> JsonObject:
    """An assistant message; earlier reasoning is left out (OpenAI rejects it in history)."""
    texts: list[str] = []
    calls: list[JsonObject] = []
    for block in blocks:
        if isinstance(block, Text):
            texts.append(block.text)
        elif isinstance(block, ToolCall):
            calls.append(
                {
                    "id": block.id,
                    "type": "function",
                    "function": {"name": block.name, "arguments": call_arguments(block)},
                }
            )
    message: JsonObject = {"role": "assistant"}
    if texts or not calls:
        message["content"] = "".join(texts)
    if calls:
        message["tool_calls"] = calls
    return message
