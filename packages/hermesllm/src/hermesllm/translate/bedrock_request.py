"""`Conversation` → Amazon Bedrock Converse request."""

from hermesllm.errors import UnsupportedConversionError
from hermesllm.translate.conversation import (
    Block,
    Conversation,
    JsonObject,
    Media,
    Text,
    ToolCall,
    ToolResult,
    ToolSpec,
    call_input,
    claude_stop_sequences,
    has_text,
    trim_prefill,
)
from hermesllm.translate.media import document_format, short_format
from hermesllm.translate.reasoning import claude_sampling, conversation_thinking
from hermesllm.translate.structured_output import (
    check_tool_names,
    output_tool,
    output_tool_choice,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "EMPTY_CONTENT_PLACEHOLDER",
    "HISTORY_TOOL_DESCRIPTION",
    "conversation_to_bedrock",
]

EMPTY_CONTENT_PLACEHOLDER = "(empty)"
HISTORY_TOOL_DESCRIPTION = "A tool called earlier in this conversation."
DEFAULT_MAX_TOKENS = 4096


def conversation_to_bedrock(conversation: Conversation) -> JsonObject:
    """Render the neutral form as a Converse request object (the model id goes in the path)."""
    messages: list[JsonObject] = []
    has_tool_blocks = False
    for index, turn in enumerate(conversation.turns):
        content = _render_blocks(turn.blocks, index + 1)
        has_tool_blocks = has_tool_blocks or any(
            "toolUse" in block or "toolResult" in block for block in content
        )
        if not content:
            content = [{"text": EMPTY_CONTENT_PLACEHOLDER}]
        messages.append({"role": turn.role, "content": content})
    trim_prefill(messages)
    body: JsonObject = {"messages": messages}
    system = [{"text": text.text} for text in conversation.system if has_text(text)]
    if system:
        body["system"] = system
    budget, max_tokens = conversation_thinking(conversation, DEFAULT_MAX_TOKENS)
    thinking = budget is not None
    inference: JsonObject = {}
    if max_tokens is not None:
        inference["maxTokens"] = max_tokens
    temperature, top_p, top_k = claude_sampling(conversation, thinking)
    if temperature is not None:
        inference["temperature"] = temperature
    if top_p is not None:
        inference["topP"] = top_p
    stop = claude_stop_sequences(conversation.stop)
    if stop:
        inference["stopSequences"] = stop
    if inference:
        body["inferenceConfig"] = inference
    tool_config = _tool_config(conversation, has_tool_blocks, thinking)
    if tool_config is not None:
        body["toolConfig"] = tool_config
    additional: JsonObject = {}
    if budget is not None:
        additional["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if top_k is not None:
        additional["top_k"] = top_k
    if additional:
        body["additionalModelRequestFields"] = additional
    metadata = dict(conversation.metadata or {})
    if conversation.user is not None:
        metadata["user"] = conversation.user
    if metadata:
        body["requestMetadata"] = metadata
    if conversation.web_search is not None:
        raise UnsupportedConversionError("Bedrock Converse has no web search tool")
    return body


def _media(media: Media, turn: int) -> JsonObject:
    if media.url:
        raise UnsupportedConversionError(
            f"turn {turn}: Bedrock needs {media.kind}s inline as base64 data URLs; "
            f"an http(s) URL ({media.url[:80]}) cannot be sent to Bedrock"
        )
    source = {"bytes": media.data}
    if media.kind == "image":
        return {"image": {"format": short_format(media.media_type), "source": source}}
    name = media.name or "document"
    return {
        "document": {"format": document_format(media.media_type), "name": name, "source": source}
    }


def _render_blocks(blocks: list[Block], turn: int) -> list[JsonObject]:
    results: list[JsonObject] = []
    others: list[JsonObject] = []
    for block in blocks:
        if isinstance(block, Text):
            if has_text(block):
                others.append({"text": block.text})
        elif isinstance(block, Media):
            others.append(_media(block, turn))
        elif isinstance(block, ToolCall):
            tool_use = {
                "toolUseId": block.id,
                "name": block.name,
                "input": call_input(block, turn),
            }
            others.append({"toolUse": tool_use})
        elif isinstance(block, ToolResult):
            results.append(_tool_result(block, turn))
        elif block.redacted:
            others.append({"reasoningContent": {"redactedContent": block.redacted}})
        elif block.signature:
            reasoning = {"text": block.text, "signature": block.signature}
            others.append({"reasoningContent": {"reasoningText": reasoning}})
    return results + others if results else others


def _tool_result(result: ToolResult, turn: int) -> JsonObject:
    content = [
        {"text": part.text} if isinstance(part, Text) else _media(part, turn)
        for part in result.content
        if not isinstance(part, Text) or has_text(part)
    ]
    if not content:
        content = [{"text": EMPTY_CONTENT_PLACEHOLDER}]
    status = "error" if result.is_error else "success"
    return {"toolResult": {"toolUseId": result.call_id, "content": content, "status": status}}


def _history_tools(conversation: Conversation) -> list[ToolSpec]:
    """Specs for the tools called earlier in the conversation (by name, first call first)."""
    names = {
        block.name: None
        for turn in conversation.turns
        for block in turn.blocks
        if isinstance(block, ToolCall)
    }
    return [ToolSpec(name, HISTORY_TOOL_DESCRIPTION) for name in names]


def _tool_config(
    conversation: Conversation, has_tool_blocks: bool, thinking: bool
) -> JsonObject | None:
    """The toolConfig; Bedrock needs one whenever the history holds toolUse/toolResult blocks,
    so a request that replays tool calls without offering tools declares the called ones.
    Structured output adds its forced tool (see hermesllm.translate.structured_output)."""
    check_tool_names(conversation.tools)
    mode = conversation.tool_choice
    specs = conversation.tools
    if not specs and has_tool_blocks:
        specs = _history_tools(conversation)
    if mode == "none" and not has_tool_blocks:
        specs = []
    choice: JsonObject | None = None
    if conversation.output_format is not None:
        specs = [*specs, output_tool(conversation.output_format)]
        choice = output_tool_choice(
            mode, conversation.tool_choice_name, bool(conversation.tools), thinking
        )
    elif mode == "auto":
        choice = {"auto": {}}
    elif mode == "required":
        choice = {"any": {}}
    elif mode == "tool":
        choice = {"tool": {"name": conversation.tool_choice_name}}
    if not specs:
        return None
    config: JsonObject = {"tools": [_tool_spec(tool) for tool in specs]}
    if choice is not None:
        config["toolChoice"] = choice
    return config


def _tool_spec(tool: ToolSpec) -> JsonObject:
    spec: JsonObject = {"name": tool.name}
    if tool.description is not None:
        spec["description"] = tool.description
    spec["inputSchema"] = {"json": tool.parameters or {"type": "object", "properties": {}}}
    return {"toolSpec": spec}
