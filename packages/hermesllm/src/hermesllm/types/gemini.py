"""Gemini generateContent wire types (`/v1beta/models/{model}:generateContent`), camelCase.

A part is a union keyed by which member is present, so `Part` has one optional field per member.
"""

from typing import Any

import msgspec

__all__ = [
    "Blob",
    "Camel",
    "Candidate",
    "Content",
    "FileData",
    "FunctionCall",
    "FunctionCallingConfig",
    "FunctionDeclaration",
    "FunctionResponse",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "JsonObject",
    "Part",
    "PromptFeedback",
    "ThinkingConfig",
    "Tool",
    "ToolConfig",
    "UsageMetadata",
]

JsonObject = dict[str, Any]


class Camel(msgspec.Struct, rename="camel", omit_defaults=True):
    """Base of Gemini structs: snake_case in Python, camelCase on the wire."""


class Blob(Camel):
    """Inline base64 data."""

    mime_type: str
    data: str


class FileData(Camel):
    """Data by URI."""

    file_uri: str
    mime_type: str | None = None


class FunctionCall(Camel):
    """A function call made by the model."""

    name: str
    args: JsonObject | None = None
    id: str | None = None


class FunctionResponse(Camel):
    """The result of a function call."""

    name: str
    response: JsonObject
    id: str | None = None


class Part(Camel):
    """One part; `thought` marks reasoning text, `thoughtSignature` carries its signature."""

    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    thought: bool | None = None
    thought_signature: str | None = None


class Content(Camel):
    """A turn: role user or model."""

    parts: list[Part] = []
    role: str | None = None


class FunctionDeclaration(Camel):
    """A function the model may call."""

    name: str
    description: str | None = None
    parameters: JsonObject | None = None
    parameters_json_schema: JsonObject | None = None


class Tool(Camel):
    """A tool list entry."""

    function_declarations: list[FunctionDeclaration] | None = None
    google_search: JsonObject | None = None
    code_execution: JsonObject | None = None


class FunctionCallingConfig(Camel):
    """`mode`: AUTO, ANY, NONE or VALIDATED."""

    mode: str | None = None
    allowed_function_names: list[str] | None = None


class ToolConfig(Camel):
    """The function-calling settings."""

    function_calling_config: FunctionCallingConfig | None = None


class ThinkingConfig(Camel):
    """Thinking budget (-1 dynamic, 0 off) and whether thoughts are returned."""

    thinking_budget: int | None = None
    include_thoughts: bool | None = None
    thinking_level: str | None = None


class GenerationConfig(Camel):
    """Sampling and output settings."""

    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    candidate_count: int | None = None
    response_mime_type: str | None = None
    response_schema: JsonObject | None = None
    response_json_schema: JsonObject | None = None
    thinking_config: ThinkingConfig | None = None
    seed: int | None = None


class GenerateContentRequest(Camel):
    """A generateContent request (the model is in the path)."""

    contents: list[Content]
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    generation_config: GenerationConfig | None = None
    safety_settings: list[JsonObject] | None = None
    labels: dict[str, str] | None = None


class Candidate(Camel):
    """One candidate answer."""

    content: Content | None = None
    finish_reason: str | None = None
    index: int = 0
    finish_message: str | None = None


class UsageMetadata(Camel):
    """Usage; `candidatesTokenCount` excludes thoughts, `promptTokenCount` includes cache."""

    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    cached_content_token_count: int | None = None
    thoughts_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None


class PromptFeedback(Camel):
    """Why a prompt was blocked."""

    block_reason: str | None = None


class GenerateContentResponse(Camel):
    """A non-streaming generateContent response."""

    candidates: list[Candidate] | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    prompt_feedback: PromptFeedback | None = None
