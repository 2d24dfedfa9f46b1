"""Amazon Bedrock Converse wire types (`/model/{modelId}/converse`), camelCase on the wire.

A content block is a union keyed by which member is present (`{"text": ...}`,
`{"toolUse": {...}}`), so `ContentBlock` has one optional field per member.
"""

from typing import Any

import msgspec

__all__ = [
    "BytesSource",
    "Camel",
    "ContentBlock",
    "ConverseOutput",
    "ConverseRequest",
    "ConverseResponse",
    "ConverseUsage",
    "DocumentContent",
    "ImageContent",
    "InferenceConfig",
    "JsonObject",
    "Message",
    "ReasoningContent",
    "ReasoningText",
    "SpecificTool",
    "SystemBlock",
    "ToolChoice",
    "ToolConfig",
    "ToolDef",
    "ToolInputSchema",
    "ToolResult",
    "ToolResultContent",
    "ToolSpec",
    "ToolUse",
]

JsonObject = dict[str, Any]


class Camel(msgspec.Struct, rename="camel", omit_defaults=True):
    """Base of Bedrock structs: snake_case in Python, camelCase on the wire."""


class BytesSource(Camel):
    """Base64 bytes (`bytes`) or an S3 location."""

    bytes: str | None = None
    s3_location: JsonObject | None = None


class ImageContent(Camel):
    """An image: `format` is png, jpeg, gif or webp."""

    format: str
    source: BytesSource


class DocumentContent(Camel):
    """A document: `format` is pdf, csv, doc, docx, xls, xlsx, html, txt or md."""

    format: str
    name: str
    source: BytesSource


class ToolUse(Camel):
    """A tool call."""

    tool_use_id: str
    name: str
    input: Any = None


class ToolResultContent(Camel):
    """One part of a tool result."""

    text: str | None = None
    json: Any = None
    image: ImageContent | None = None
    document: DocumentContent | None = None


class ToolResult(Camel):
    """The result of a tool call; `status` is success or error."""

    tool_use_id: str
    content: list[ToolResultContent]
    status: str | None = None


class ReasoningText(Camel):
    """Reasoning text with its signature."""

    text: str
    signature: str | None = None


class ReasoningContent(Camel):
    """Reasoning: plain text or redacted (base64) content."""

    reasoning_text: ReasoningText | None = None
    redacted_content: str | None = None


class ContentBlock(Camel):
    """One content block; exactly one member is set."""

    text: str | None = None
    image: ImageContent | None = None
    document: DocumentContent | None = None
    tool_use: ToolUse | None = None
    tool_result: ToolResult | None = None
    reasoning_content: ReasoningContent | None = None
    guard_content: JsonObject | None = None
    cache_point: JsonObject | None = None


class Message(Camel):
    """One turn: role user or assistant."""

    role: str
    content: list[ContentBlock]


class SystemBlock(Camel):
    """A system prompt block."""

    text: str | None = None
    guard_content: JsonObject | None = None
    cache_point: JsonObject | None = None


class InferenceConfig(Camel):
    """Sampling settings."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] | None = None


class ToolInputSchema(Camel):
    """A tool's JSON schema."""

    json: JsonObject


class ToolSpec(Camel):
    """A tool offered to the model."""

    name: str
    input_schema: ToolInputSchema
    description: str | None = None


class ToolDef(Camel):
    """A tool list entry."""

    tool_spec: ToolSpec | None = None
    cache_point: JsonObject | None = None


class SpecificTool(Camel):
    """The tool a forced tool choice names."""

    name: str


class ToolChoice(Camel):
    """`{auto: {}}`, `{any: {}}` or `{tool: {name}}`."""

    auto: JsonObject | None = None
    any: JsonObject | None = None
    tool: SpecificTool | None = None


class ToolConfig(Camel):
    """Tools and the tool choice."""

    tools: list[ToolDef]
    tool_choice: ToolChoice | None = None


class ConverseRequest(Camel):
    """A Converse request (the model id is in the path)."""

    messages: list[Message]
    system: list[SystemBlock] | None = None
    inference_config: InferenceConfig | None = None
    tool_config: ToolConfig | None = None
    additional_model_request_fields: JsonObject | None = None
    request_metadata: dict[str, str] | None = None


class ConverseOutput(Camel):
    """The output of a Converse call."""

    message: Message | None = None


class ConverseUsage(Camel):
    """Usage; `inputTokens` excludes cache reads and writes (every count may be absent)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None


class ConverseResponse(Camel):
    """A non-streaming Converse response."""

    output: ConverseOutput | None = None
    stop_reason: str | None = None
    usage: ConverseUsage | None = None
    metrics: JsonObject | None = None
