"""OpenAI Responses wire types (`/v1/responses`).

`input` items stay raw JSON objects in `ResponsesRequest` so items this module does not know
survive untouched; `input_item_type` names an item and `KNOWN_ITEM_TYPES` lists the ones
`msgspec.convert(item, InputItem)` accepts.
"""

from typing import Any

import msgspec

__all__ = [
    "KNOWN_ITEM_TYPES",
    "ContentPart",
    "CustomToolCallItem",
    "CustomToolCallOutputItem",
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "IncompleteDetails",
    "InputAudio",
    "InputFile",
    "InputImage",
    "InputItem",
    "InputText",
    "InputTokensDetails",
    "ItemReference",
    "JsonObject",
    "MessageItem",
    "OutputMessage",
    "OutputText",
    "OutputTokensDetails",
    "PlainText",
    "Reasoning",
    "ReasoningItem",
    "ReasoningText",
    "Refusal",
    "Response",
    "ResponseUsage",
    "ResponsesRequest",
    "ResponsesTool",
    "SummaryText",
    "TextConfig",
    "TextFormat",
    "input_item_type",
]

JsonObject = dict[str, Any]


class InputText(msgspec.Struct, tag_field="type", tag="input_text", omit_defaults=True):
    """Text written by the user or the developer."""

    text: str


class PlainText(msgspec.Struct, tag_field="type", tag="text", omit_defaults=True):
    """Text (an alias of input_text some clients send)."""

    text: str


class OutputText(msgspec.Struct, tag_field="type", tag="output_text", omit_defaults=True):
    """Text written by the model."""

    text: str
    annotations: list[JsonObject] = []


class Refusal(msgspec.Struct, tag_field="type", tag="refusal", omit_defaults=True):
    """A refusal written by the model."""

    refusal: str


class InputImage(msgspec.Struct, tag_field="type", tag="input_image", omit_defaults=True):
    """An image by URL (http or data URL) or by file id."""

    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class InputFile(msgspec.Struct, tag_field="type", tag="input_file", omit_defaults=True):
    """A file inline (`file_data`), by URL or by id."""

    file_data: str | None = None
    file_url: str | None = None
    file_id: str | None = None
    filename: str | None = None


class InputAudio(msgspec.Struct, tag_field="type", tag="input_audio", omit_defaults=True):
    """Base64 audio."""

    input_audio: JsonObject


ContentPart = InputText | PlainText | OutputText | Refusal | InputImage | InputFile | InputAudio


class MessageItem(msgspec.Struct, tag_field="type", tag="message", omit_defaults=True):
    """A message; `role` is user, assistant, system or developer."""

    role: str
    content: str | list[ContentPart]
    id: str | None = None
    status: str | None = None


class FunctionCallItem(msgspec.Struct, tag_field="type", tag="function_call", omit_defaults=True):
    """A function call made by the model."""

    call_id: str
    name: str
    arguments: str = ""
    id: str | None = None
    status: str | None = None


class FunctionCallOutputItem(
    msgspec.Struct, tag_field="type", tag="function_call_output", omit_defaults=True
):
    """The output of a function call: text or content parts."""

    call_id: str
    output: str | list[ContentPart]
    id: str | None = None
    status: str | None = None


class CustomToolCallItem(
    msgspec.Struct, tag_field="type", tag="custom_tool_call", omit_defaults=True
):
    """A call of a custom (free-form input) tool."""

    call_id: str
    name: str
    input: str = ""
    id: str | None = None


class CustomToolCallOutputItem(
    msgspec.Struct, tag_field="type", tag="custom_tool_call_output", omit_defaults=True
):
    """The output of a custom tool call."""

    call_id: str
    output: str | list[ContentPart]
    id: str | None = None


class SummaryText(msgspec.Struct, tag_field="type", tag="summary_text", omit_defaults=True):
    """A reasoning summary paragraph."""

    text: str


class ReasoningText(msgspec.Struct, tag_field="type", tag="reasoning_text", omit_defaults=True):
    """Raw reasoning text."""

    text: str


class ReasoningItem(msgspec.Struct, tag_field="type", tag="reasoning", omit_defaults=True):
    """Reasoning produced by the model."""

    summary: list[SummaryText] = []
    content: list[ReasoningText] | None = None
    encrypted_content: str | None = None
    id: str | None = None
    status: str | None = None


class ItemReference(msgspec.Struct, tag_field="type", tag="item_reference", omit_defaults=True):
    """A reference to an item stored by the server."""

    id: str


InputItem = (
    MessageItem
    | FunctionCallItem
    | FunctionCallOutputItem
    | CustomToolCallItem
    | CustomToolCallOutputItem
    | ReasoningItem
    | ItemReference
)
KNOWN_ITEM_TYPES = frozenset(
    {
        "message",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "reasoning",
        "item_reference",
    }
)


def input_item_type(item: JsonObject) -> str | None:
    """The type of an input item; a bare `{"role", "content"}` object is a message."""
    kind = item.get("type")
    if isinstance(kind, str):
        return kind
    if kind is None and "role" in item:
        return "message"
    return None


class ResponsesTool(msgspec.Struct, omit_defaults=True):
    """A tool: function, custom, namespace, or a hosted tool (web_search, file_search, ...)."""

    type: str
    name: str | None = None
    description: str | None = None
    parameters: JsonObject | None = None
    strict: bool | None = None
    format: JsonObject | None = None
    tools: list[JsonObject] | None = None


class Reasoning(msgspec.Struct, omit_defaults=True):
    """`reasoning`: effort and summary mode."""

    effort: str | None = None
    summary: str | None = None


class TextFormat(msgspec.Struct, omit_defaults=True):
    """`text.format`: text, json_object or json_schema (schema inline)."""

    type: str
    name: str | None = None
    schema: JsonObject | None = None
    description: str | None = None
    strict: bool | None = None


class TextConfig(msgspec.Struct, omit_defaults=True):
    """`text`: the output format and verbosity."""

    format: TextFormat | None = None
    verbosity: str | None = None


class ResponsesRequest(msgspec.Struct, omit_defaults=True):
    """A Responses request (the fields translation reads)."""

    model: str = ""
    input: str | list[JsonObject] | JsonObject | None = None
    instructions: str | None = None
    tools: list[ResponsesTool] | None = None
    tool_choice: str | JsonObject | None = None
    parallel_tool_calls: bool | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    reasoning: Reasoning | None = None
    text: TextConfig | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    stream: bool | None = None
    store: bool | None = None
    previous_response_id: str | None = None


class InputTokensDetails(msgspec.Struct, omit_defaults=True):
    """Input tokens read from and written to the prompt cache."""

    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class OutputTokensDetails(msgspec.Struct, omit_defaults=True):
    """Reasoning output tokens."""

    reasoning_tokens: int | None = None


class ResponseUsage(msgspec.Struct, omit_defaults=True):
    """Usage of a response (every count may be absent or null)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_tokens_details: InputTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None


class OutputMessage(msgspec.Struct, tag_field="type", tag="message", omit_defaults=True):
    """An assistant message in a response's output."""

    content: list[ContentPart] = []
    id: str = ""
    role: str = "assistant"
    status: str | None = None


class IncompleteDetails(msgspec.Struct, omit_defaults=True):
    """Why a response is incomplete."""

    reason: str | None = None


class Response(msgspec.Struct, omit_defaults=True):
    """A non-streaming Responses response; unknown output items stay raw."""

    id: str = ""
    model: str = ""
    created_at: float = 0
    status: str | None = None
    output: list[JsonObject] | None = None
    usage: ResponseUsage | None = None
    incomplete_details: IncompleteDetails | None = None
