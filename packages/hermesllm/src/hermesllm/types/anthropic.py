"""Anthropic Messages wire types (`/v1/messages`)."""

from typing import Any

import msgspec

__all__ = [
    "AnthropicUsage",
    "Base64Source",
    "ContentBlock",
    "ContentSource",
    "DocumentBlock",
    "DocumentSource",
    "FileSource",
    "ImageBlock",
    "ImageSource",
    "JsonObject",
    "JsonOutputFormat",
    "Message",
    "MessageResponse",
    "MessagesRequest",
    "Metadata",
    "OutputConfig",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "TextBlock",
    "TextSource",
    "Thinking",
    "ThinkingAdaptive",
    "ThinkingBlock",
    "ThinkingDisabled",
    "ThinkingEnabled",
    "Tool",
    "ToolChoice",
    "ToolChoiceAny",
    "ToolChoiceAuto",
    "ToolChoiceNone",
    "ToolChoiceTool",
    "ToolResultBlock",
    "ToolResultContent",
    "ToolUseBlock",
    "UrlSource",
    "WebSearchResultBlock",
]

JsonObject = dict[str, Any]


class Base64Source(msgspec.Struct, tag_field="type", tag="base64", omit_defaults=True):
    """Inline base64 data with its media type."""

    media_type: str
    data: str


class UrlSource(msgspec.Struct, tag_field="type", tag="url", omit_defaults=True):
    """Data fetched by the provider from a URL."""

    url: str


class TextSource(msgspec.Struct, tag_field="type", tag="text", omit_defaults=True):
    """A plain-text document source."""

    data: str
    media_type: str = "text/plain"


class FileSource(msgspec.Struct, tag_field="type", tag="file", omit_defaults=True):
    """A file uploaded through the Files API."""

    file_id: str


class ContentSource(msgspec.Struct, tag_field="type", tag="content", omit_defaults=True):
    """A document made of content blocks."""

    content: str | list[JsonObject]


ImageSource = Base64Source | UrlSource | FileSource
DocumentSource = Base64Source | UrlSource | TextSource | FileSource | ContentSource


class TextBlock(msgspec.Struct, tag_field="type", tag="text", omit_defaults=True):
    """Text, optionally a prompt-cache breakpoint."""

    text: str
    cache_control: JsonObject | None = None
    citations: list[JsonObject] | None = None


class ImageBlock(msgspec.Struct, tag_field="type", tag="image", omit_defaults=True):
    """An image."""

    source: ImageSource
    cache_control: JsonObject | None = None


class DocumentBlock(msgspec.Struct, tag_field="type", tag="document", omit_defaults=True):
    """A document (PDF, text)."""

    source: DocumentSource
    title: str | None = None
    context: str | None = None
    cache_control: JsonObject | None = None


class ThinkingBlock(msgspec.Struct, tag_field="type", tag="thinking", omit_defaults=True):
    """Extended-thinking text with its signature."""

    thinking: str
    signature: str = ""


class RedactedThinkingBlock(
    msgspec.Struct, tag_field="type", tag="redacted_thinking", omit_defaults=True
):
    """Encrypted thinking."""

    data: str


class ToolUseBlock(msgspec.Struct, tag_field="type", tag="tool_use", omit_defaults=True):
    """A tool call."""

    id: str
    name: str
    input: Any = msgspec.field(default_factory=dict)
    cache_control: JsonObject | None = None


ToolResultContent = str | list[TextBlock | ImageBlock | DocumentBlock]


class ToolResultBlock(msgspec.Struct, tag_field="type", tag="tool_result", omit_defaults=True):
    """The result of a tool call; `is_error` marks a failed call."""

    tool_use_id: str
    content: ToolResultContent = ""
    is_error: bool | None = None
    cache_control: JsonObject | None = None


class ServerToolUseBlock(
    msgspec.Struct, tag_field="type", tag="server_tool_use", omit_defaults=True
):
    """A call of a server-side tool (web search, code execution)."""

    id: str
    name: str
    input: Any = None


class WebSearchResultBlock(
    msgspec.Struct, tag_field="type", tag="web_search_tool_result", omit_defaults=True
):
    """The result of a server-side web search."""

    tool_use_id: str
    content: Any = None


ContentBlock = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolUseBlock
    | ToolResultBlock
    | ServerToolUseBlock
    | WebSearchResultBlock
)


class Message(msgspec.Struct, omit_defaults=True):
    """One turn of the conversation."""

    role: str
    content: str | list[ContentBlock]


class Tool(msgspec.Struct, omit_defaults=True):
    """A client tool (no `type` or `custom`) or a server tool (`web_search_20250305`, ...)."""

    name: str
    type: str | None = None
    description: str | None = None
    input_schema: JsonObject | None = None
    cache_control: JsonObject | None = None
    strict: bool | None = None


class ToolChoiceAuto(msgspec.Struct, tag_field="type", tag="auto", omit_defaults=True):
    """The model decides."""

    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(msgspec.Struct, tag_field="type", tag="any", omit_defaults=True):
    """The model must call some tool."""

    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(msgspec.Struct, tag_field="type", tag="tool", omit_defaults=True):
    """The model must call the named tool."""

    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(msgspec.Struct, tag_field="type", tag="none", omit_defaults=True):
    """The model must not call tools."""


ToolChoice = ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone


class ThinkingEnabled(msgspec.Struct, tag_field="type", tag="enabled", omit_defaults=True):
    """Extended thinking with a token budget."""

    budget_tokens: int


class ThinkingAdaptive(msgspec.Struct, tag_field="type", tag="adaptive", omit_defaults=True):
    """Thinking whose depth the model chooses."""

    display: str | None = None


class ThinkingDisabled(msgspec.Struct, tag_field="type", tag="disabled", omit_defaults=True):
    """No extended thinking."""


Thinking = ThinkingEnabled | ThinkingAdaptive | ThinkingDisabled


class Metadata(msgspec.Struct, omit_defaults=True):
    """Request metadata: only an opaque user id."""

    user_id: str | None = None


class JsonOutputFormat(msgspec.Struct, omit_defaults=True):
    """A JSON schema the answer must follow."""

    schema: JsonObject
    type: str = "json_schema"


class OutputConfig(msgspec.Struct, omit_defaults=True):
    """`output_config`: structured output format and effort."""

    format: JsonOutputFormat | None = None
    effort: str | None = None


class MessagesRequest(msgspec.Struct, omit_defaults=True):
    """A Messages request (the fields translation reads)."""

    messages: list[Message]
    model: str = ""
    max_tokens: int | None = None
    system: str | list[TextBlock] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stream: bool | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None
    metadata: Metadata | None = None
    output_config: OutputConfig | None = None


class AnthropicUsage(msgspec.Struct, omit_defaults=True):
    """Usage of a message; `input_tokens` excludes cache reads and writes.

    Every count may be absent or null (a stream's message_delta reports only some of them).
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None


class MessageResponse(msgspec.Struct, omit_defaults=True):
    """A non-streaming Messages response."""

    id: str = ""
    content: list[ContentBlock] | None = None
    model: str = ""
    role: str = "assistant"
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: AnthropicUsage | None = None
    type: str = "message"
