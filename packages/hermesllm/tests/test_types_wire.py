"""The msgspec wire types: tagged unions, camelCase, omitted optionals."""

import msgspec
import pytest

from hermesllm.types import anthropic, bedrock, gemini, openai_chat, openai_responses


def test_chat_messages_decode_by_role_and_parts_by_type() -> None:
    body = (
        b'{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": '
        b'[{"type": "text", "text": "t"}, {"type": "image_url", "image_url": {"url": "u"}}]},'
        b'{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", '
        b'"function": {"name": "f", "arguments": "{}"}}]}, '
        b'{"role": "tool", "tool_call_id": "c", "content": "r"}], "vendor_field": 1}'
    )
    request = msgspec.json.decode(body, type=openai_chat.ChatRequest)
    kinds = [type(message) for message in request.messages]
    assert kinds == [
        openai_chat.SystemMessage,
        openai_chat.UserMessage,
        openai_chat.AssistantMessage,
        openai_chat.ToolMessage,
    ]
    user = request.messages[1]
    assert isinstance(user, openai_chat.UserMessage)
    assert isinstance(user.content, list)
    assert isinstance(user.content[1], openai_chat.ImagePart)


def test_encoding_omits_absent_optionals_and_keeps_tags() -> None:
    message = openai_chat.AssistantMessage(content="hi")
    assert msgspec.json.encode(message) == b'{"role":"assistant","content":"hi"}'
    block = anthropic.ToolResultBlock("toolu_1", "out")
    assert msgspec.json.encode(block) == (
        b'{"type":"tool_result","tool_use_id":"toolu_1","content":"out"}'
    )


def test_anthropic_blocks_include_redacted_thinking() -> None:
    message = msgspec.json.decode(
        b'{"role": "assistant", "content": [{"type": "redacted_thinking", "data": "x"}, '
        b'{"type": "thinking", "thinking": "t", "signature": "s"}]}',
        type=anthropic.Message,
    )
    assert isinstance(message.content, list)
    assert isinstance(message.content[0], anthropic.RedactedThinkingBlock)
    assert isinstance(message.content[1], anthropic.ThinkingBlock)


def test_unknown_anthropic_block_type_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="content"):
        msgspec.json.decode(
            b'{"role": "user", "content": [{"type": "hologram"}]}', type=anthropic.Message
        )


def test_bedrock_and_gemini_are_camel_case_on_the_wire() -> None:
    block = bedrock.ContentBlock(tool_use=bedrock.ToolUse("t1", "f", {"a": 1}))
    assert (
        msgspec.json.encode(block) == b'{"toolUse":{"toolUseId":"t1","name":"f","input":{"a":1}}}'
    )
    part = gemini.Part(inline_data=gemini.Blob("image/png", "AA"))
    assert msgspec.json.encode(part) == b'{"inlineData":{"mimeType":"image/png","data":"AA"}}'
    usage = msgspec.json.decode(
        b'{"usageMetadata": {"promptTokenCount": 3, "thoughtsTokenCount": 2}}',
        type=gemini.GenerateContentResponse,
    ).usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.thoughts_token_count) == (3, 2)


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        ({"role": "user", "content": "hi"}, "message"),
        ({"type": "function_call", "call_id": "c", "name": "f"}, "function_call"),
        ({"type": "mcp_call"}, "mcp_call"),
        ({"content": "no role"}, None),
    ],
)
def test_responses_input_item_type(item: dict[str, object], kind: str | None) -> None:
    assert openai_responses.input_item_type(item) == kind


def test_responses_request_keeps_input_items_raw() -> None:
    request = msgspec.json.decode(
        b'{"input": [{"type": "future", "x": [1]}], "tools": [{"type": "file_search"}]}',
        type=openai_responses.ResponsesRequest,
    )
    assert request.input == [{"type": "future", "x": [1]}]
    assert request.tools is not None
    assert request.tools[0].type == "file_search"
