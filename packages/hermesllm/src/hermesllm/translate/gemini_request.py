"""`Conversation` → Gemini generateContent request."""

from hermesllm.errors import UnsupportedConversionError
from hermesllm.translate.conversation import (
    Block,
    Conversation,
    JsonObject,
    Media,
    Text,
    ToolCall,
    ToolResult,
    call_input,
)
from hermesllm.translate.reasoning import thinking_budget

__all__ = ["REPLAYED_CALL_SIGNATURE", "conversation_to_gemini"]

# Gemini 3 requires the first function call of each model turn to carry the thought signature
# it produced; calls replayed from another API have none, and Gemini documents this value as
# the marker that skips the check for them.
REPLAYED_CALL_SIGNATURE = "skip_thought_signature_validator"
_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE", "tool": "ANY"}


def conversation_to_gemini(conversation: Conversation) -> JsonObject:
    """Render the neutral form as a generateContent request object (the model goes in the path)."""
    call_names: dict[str, str] = {}
    contents: list[JsonObject] = []
    for index, turn in enumerate(conversation.turns):
        parts = _render_blocks(turn.blocks, call_names, index + 1)
        if parts:
            role = "user" if turn.role == "user" else "model"
            contents.append({"role": role, "parts": parts})
    body: JsonObject = {"contents": contents}
    system = [{"text": text.text} for text in conversation.system if text.text]
    if system:
        body["systemInstruction"] = {"parts": system}
    tools: list[JsonObject] = []
    if conversation.tools:
        declarations: list[JsonObject] = []
        for tool in conversation.tools:
            declaration: JsonObject = {"name": tool.name}
            if tool.description is not None:
                declaration["description"] = tool.description
            if tool.parameters:
                declaration["parametersJsonSchema"] = tool.parameters
            declarations.append(declaration)
        tools.append({"functionDeclarations": declarations})
    if conversation.web_search is not None:
        tools.append({"googleSearch": {}})
    if tools:
        body["tools"] = tools
    if conversation.tool_choice is not None and conversation.tools:
        calling: JsonObject = {"mode": _MODES[conversation.tool_choice]}
        if conversation.tool_choice == "tool":
            calling["allowedFunctionNames"] = [conversation.tool_choice_name]
        body["toolConfig"] = {"functionCallingConfig": calling}
    generation = _generation_config(conversation)
    if generation:
        body["generationConfig"] = generation
    return body


def _generation_config(conversation: Conversation) -> JsonObject:
    config: JsonObject = {}
    if conversation.max_tokens is not None:
        config["maxOutputTokens"] = conversation.max_tokens
    if conversation.temperature is not None:
        config["temperature"] = conversation.temperature
    if conversation.top_p is not None:
        config["topP"] = conversation.top_p
    if conversation.top_k is not None:
        config["topK"] = conversation.top_k
    if conversation.stop:
        config["stopSequences"] = conversation.stop
    if conversation.output_format is not None:
        config["responseMimeType"] = "application/json"
        if conversation.output_format.schema is not None:
            config["responseJsonSchema"] = conversation.output_format.schema
    budget = thinking_budget(conversation.reasoning_effort, conversation.thinking_budget)
    if budget is not None:
        config["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": True}
    elif conversation.reasoning_effort == "none":
        config["thinkingConfig"] = {"thinkingBudget": 0}
    return config


def _media(media: Media) -> JsonObject:
    if media.url:
        return {"fileData": {"mimeType": media.media_type, "fileUri": media.url}}
    return {"inlineData": {"mimeType": media.media_type, "data": media.data}}


def _render_blocks(blocks: list[Block], call_names: dict[str, str], turn: int) -> list[JsonObject]:
    parts: list[JsonObject] = []
    signed = False
    for block in blocks:
        if isinstance(block, Text):
            if block.text:
                parts.append({"text": block.text})
        elif isinstance(block, Media):
            parts.append(_media(block))
        elif isinstance(block, ToolCall):
            call_names[block.id] = block.name
            part: JsonObject = {
                "functionCall": {"name": block.name, "args": call_input(block, turn)}
            }
            if not signed:
                part["thoughtSignature"] = REPLAYED_CALL_SIGNATURE
                signed = True
            parts.append(part)
        elif isinstance(block, ToolResult):
            parts.extend(_tool_result(block, call_names, turn))
    return parts


def _tool_result(result: ToolResult, call_names: dict[str, str], turn: int) -> list[JsonObject]:
    name = call_names.get(result.call_id)
    if name is None:
        raise UnsupportedConversionError(
            f"turn {turn}: Gemini needs the function name of each tool result, but no earlier "
            f"tool call has id {result.call_id!r}"
        )
    text = "".join(part.text for part in result.content if isinstance(part, Text))
    key = "error" if result.is_error else "result"
    parts: list[JsonObject] = [{"functionResponse": {"name": name, "response": {key: text}}}]
    parts.extend(_media(part) for part in result.content if isinstance(part, Media))
    return parts
