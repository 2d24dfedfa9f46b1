"""OpenAI Chat Completions wire types (`/v1/chat/completions`)."""

from typing import Any, Literal

import msgspec

__all__ = [
    "AssistantMessage",
    "AudioPart",
    "ChatCompletion",
    "ChatRequest",
    "ChatUsage",
    "Choice",
    "CompletionTokensDetails",
    "Content",
    "ContentPart",
    "DeveloperMessage",
    "FilePart",
    "FileRef",
    "FunctionCall",
    "FunctionDefinition",
    "FunctionMessage",
    "ImagePart",
    "ImageUrl",
    "InputAudio",
    "JsonObject",
    "JsonSchemaFormat",
    "Message",
    "NamedFunction",
    "PromptTokensDetails",
    "RefusalPart",
    "ResponseFormat",
    "ResponseMessage",
    "StreamOptions",
    "SystemMessage",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "ToolChoiceFunction",
    "ToolMessage",
    "UserMessage",
]

JsonObject = dict[str, Any]


class ImageUrl(msgspec.Struct, omit_defaults=True):
    """An image reference: an http(s) URL or a `data:` URL."""

    url: str
    detail: str | None = None


class InputAudio(msgspec.Struct, omit_defaults=True):
    """Base64 audio attached to a user message."""

    data: str
    format: str


class FileRef(msgspec.Struct, omit_defaults=True):
    """A file attached to a user message, inline (`file_data`) or by id."""

    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class TextPart(msgspec.Struct, tag_field="type", tag="text", omit_defaults=True):
    """A text content part; `cache_control` is the Anthropic prompt-cache breakpoint that
    OpenAI-compatible gateways accept on parts."""

    text: str
    cache_control: JsonObject | None = None


class ImagePart(msgspec.Struct, tag_field="type", tag="image_url", omit_defaults=True):
    """An image content part."""

    image_url: ImageUrl


class AudioPart(msgspec.Struct, tag_field="type", tag="input_audio", omit_defaults=True):
    """An audio content part."""

    input_audio: InputAudio


class FilePart(msgspec.Struct, tag_field="type", tag="file", omit_defaults=True):
    """A file content part."""

    file: FileRef


class RefusalPart(msgspec.Struct, tag_field="type", tag="refusal", omit_defaults=True):
    """A refusal part of an assistant message."""

    refusal: str


ContentPart = TextPart | ImagePart | AudioPart | FilePart | RefusalPart
Content = str | list[ContentPart]


class FunctionCall(msgspec.Struct, omit_defaults=True):
    """The function of a tool call; `arguments` is JSON text."""

    name: str
    arguments: str = ""


class ToolCall(msgspec.Struct, omit_defaults=True):
    """A tool call made by the assistant."""

    id: str
    function: FunctionCall
    type: str = "function"


class SystemMessage(msgspec.Struct, tag_field="role", tag="system", omit_defaults=True):
    """A system prompt."""

    content: Content
    name: str | None = None


class DeveloperMessage(msgspec.Struct, tag_field="role", tag="developer", omit_defaults=True):
    """A developer prompt (the newer name of a system prompt)."""

    content: Content
    name: str | None = None


class UserMessage(msgspec.Struct, tag_field="role", tag="user", omit_defaults=True):
    """A user turn."""

    content: Content
    name: str | None = None


class AssistantMessage(msgspec.Struct, tag_field="role", tag="assistant", omit_defaults=True):
    """An assistant turn, possibly with tool calls and reasoning text."""

    content: Content | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    refusal: str | None = None
    name: str | None = None


class ToolMessage(msgspec.Struct, tag_field="role", tag="tool", omit_defaults=True):
    """The result of one tool call."""

    tool_call_id: str
    content: Content


class FunctionMessage(msgspec.Struct, tag_field="role", tag="function", omit_defaults=True):
    """The legacy result of a function call."""

    name: str
    content: str | None = None


Message = (
    SystemMessage
    | DeveloperMessage
    | UserMessage
    | AssistantMessage
    | ToolMessage
    | FunctionMessage
)


class FunctionDefinition(msgspec.Struct, omit_defaults=True):
    """A function the model may call."""

    name: str
    description: str | None = None
    parameters: JsonObject | None = None
    strict: bool | None = None


class Tool(msgspec.Struct, omit_defaults=True):
    """A tool offered to the model."""

    function: FunctionDefinition
    type: str = "function"


class NamedFunction(msgspec.Struct):
    """The name of a function in a forced tool choice."""

    name: str


class ToolChoiceFunction(msgspec.Struct, omit_defaults=True):
    """A tool choice that forces one function."""

    function: NamedFunction
    type: str = "function"


ToolChoice = Literal["auto", "required", "none"] | ToolChoiceFunction


class JsonSchemaFormat(msgspec.Struct, omit_defaults=True):
    """The schema of a `json_schema` response format."""

    name: str = "response"
    schema: JsonObject | None = None
    description: str | None = None
    strict: bool | None = None


class ResponseFormat(msgspec.Struct, omit_defaults=True):
    """`response_format`: text, json_object or json_schema."""

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class StreamOptions(msgspec.Struct, omit_defaults=True):
    """`stream_options` of a streaming request."""

    include_usage: bool | None = None


class ChatRequest(msgspec.Struct, omit_defaults=True):
    """A Chat Completions request (the fields translation reads)."""

    messages: list[Message]
    model: str = ""
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    response_format: ResponseFormat | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    web_search_options: JsonObject | None = None
    n: int | None = None
    seed: int | None = None


class PromptTokensDetails(msgspec.Struct, omit_defaults=True):
    """Prompt tokens read from and written to the prompt cache."""

    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class CompletionTokensDetails(msgspec.Struct, omit_defaults=True):
    """Reasoning tokens inside the completion."""

    reasoning_tokens: int | None = None


class ChatUsage(msgspec.Struct, omit_defaults=True):
    """Usage of a chat completion; some providers also send `cache_read_input_tokens`.

    Every count may be absent or null (providers send null for counts they do not track).
    """

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None


class ResponseMessage(msgspec.Struct, omit_defaults=True):
    """The assistant message of a completion choice (reasoning text as `reasoning_content`,
    or `reasoning` at some providers)."""

    role: str = "assistant"
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None


class Choice(msgspec.Struct, omit_defaults=True):
    """One completion choice."""

    message: ResponseMessage
    index: int = 0
    finish_reason: str | None = None


class ChatCompletion(msgspec.Struct, omit_defaults=True):
    """A non-streaming Chat Completions response."""

    id: str = ""
    choices: list[Choice] | None = None
    created: int = 0
    model: str = ""
    usage: ChatUsage | None = None
    object: str = "chat.completion"
    system_fingerprint: str | None = None
