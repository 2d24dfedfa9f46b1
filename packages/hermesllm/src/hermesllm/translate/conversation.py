"""The API-neutral request model every request translation goes through.

A source request is parsed into a `Conversation`; a target request is rendered from it. Blocks
keep what any of the APIs can say: text, images, documents, tool calls and results, reasoning.
"""

from typing import Any, Literal, TypeVar

import msgspec

from hermesllm.errors import RequestParseError

__all__ = [
    "Block",
    "Conversation",
    "JsonObject",
    "Media",
    "OutputFormat",
    "Reasoning",
    "T",
    "Text",
    "ToolCall",
    "ToolChoiceMode",
    "ToolResult",
    "ToolSpec",
    "Turn",
    "append_block",
    "call_arguments",
    "call_input",
    "claude_stop_sequences",
    "decode_request",
    "has_text",
    "trim_prefill",
    "unsigned_tool_turn",
]

JsonObject = dict[str, Any]
T = TypeVar("T")


class Text(msgspec.Struct):
    """Text, optionally an Anthropic prompt-cache breakpoint."""

    text: str
    cache_control: JsonObject | None = None


class Media(msgspec.Struct):
    """An image or a document: inline base64 `data` or a `url` (exactly one is set)."""

    kind: Literal["image", "document"]
    media_type: str
    data: str = ""
    url: str = ""
    name: str = ""


class ToolCall(msgspec.Struct):
    """A tool call: `arguments` is JSON text, `input` the decoded value (one or both set)."""

    id: str
    name: str
    arguments: str | None = None
    input: Any = None


class ToolResult(msgspec.Struct):
    """The result of a tool call."""

    call_id: str
    content: list[Text | Media]
    is_error: bool = False


class Reasoning(msgspec.Struct):
    """Reasoning text with its provider signature, or redacted (encrypted) reasoning."""

    text: str = ""
    signature: str = ""
    redacted: str = ""


Block = Text | Media | ToolCall | ToolResult | Reasoning


class Turn(msgspec.Struct):
    """One turn of the conversation."""

    role: Literal["user", "assistant"]
    blocks: list[Block]


class ToolSpec(msgspec.Struct):
    """A function tool offered to the model."""

    name: str
    description: str | None = None
    parameters: JsonObject | None = None
    strict: bool | None = None


class OutputFormat(msgspec.Struct):
    """JSON output: `schema` None means any JSON object (JSON mode)."""

    schema: JsonObject | None = None
    name: str = "response"
    strict: bool | None = None
    description: str | None = None


ToolChoiceMode = Literal["auto", "required", "none", "tool"]


class Conversation(msgspec.Struct):
    """A request in API-neutral form."""

    model: str
    turns: list[Turn]
    system: list[Text] = msgspec.field(default_factory=list)
    tools: list[ToolSpec] = msgspec.field(default_factory=list)
    tool_choice: ToolChoiceMode | None = None
    tool_choice_name: str | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = msgspec.field(default_factory=list)
    reasoning_effort: str | None = None
    thinking_budget: int | None = None
    output_format: OutputFormat | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    stream: bool = False
    web_search: JsonObject | None = None


def has_text(text: Text) -> bool:
    """True when a text block holds more than white space (Claude rejects blank blocks)."""
    return not text.text.isspace() and bool(text.text)


def claude_stop_sequences(stop: list[str]) -> list[str]:
    """The stop sequences Claude accepts: it rejects empty and white-space-only ones."""
    return [sequence for sequence in stop if sequence.strip()]


def trim_prefill(messages: list[JsonObject]) -> None:
    """Strip trailing white space off a final assistant text (a prefill): Claude rejects it.

    `messages` are rendered Anthropic or Bedrock messages; text blocks hold non-blank text.
    """
    if not messages or messages[-1].get("role") != "assistant":
        return
    last = messages[-1]["content"][-1]
    if isinstance(last.get("text"), str):
        last["text"] = last["text"].rstrip()


def append_block(turns: list[Turn], role: Literal["user", "assistant"], block: Block) -> None:
    """Add a block to the last turn when it has the same role, else start a new turn."""
    if turns and turns[-1].role == role:
        turns[-1].blocks.append(block)
    else:
        turns.append(Turn(role, [block]))


def call_arguments(call: ToolCall) -> str:
    """A tool call's arguments as JSON text (`{}` for a call without arguments)."""
    if call.arguments is not None and call.arguments.strip():
        return call.arguments
    return msgspec.json.encode(call.input if call.input is not None else {}).decode()


def call_input(call: ToolCall, turn: int) -> Any:
    """A tool call's arguments as a JSON value; invalid JSON text raises RequestParseError."""
    if call.arguments is None:
        return call.input if call.input is not None else {}
    if not call.arguments.strip():
        return {}
    try:
        return msgspec.json.decode(call.arguments)
    except msgspec.DecodeError:
        raise RequestParseError(
            f"turn {turn}: the arguments of tool call {call.id!r} are not valid JSON"
        ) from None


def unsigned_tool_turn(turns: list[Turn]) -> bool:
    """True when the last assistant turn calls tools without leading signed reasoning.

    Claude rejects thinking in such a conversation (its tool loop must replay the signed
    thinking), so thinking is left off for it.
    """
    for turn in reversed(turns):
        if turn.role != "assistant":
            continue
        if not any(isinstance(block, ToolCall) for block in turn.blocks):
            return False
        first = turn.blocks[0]
        return not (isinstance(first, Reasoning) and (first.signature or first.redacted))
    return False


def decode_request(decoder: msgspec.json.Decoder[T], body: bytes, api: str) -> T:
    """Decode a client request; a malformed body raises RequestParseError naming the field."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise RequestParseError(f"invalid {api} request: {exc}") from None
    except msgspec.DecodeError as exc:
        raise RequestParseError(f"request body is not valid JSON: {exc}") from None
