"""Request introspection over decoded client request bodies."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hermesllm.apis import ClientApi
from hermesllm.introspect import (
    get_metadata,
    get_model,
    is_streaming,
    last_user_message,
    message_text,
    remove_metadata,
    set_model,
    tool_names,
)

CHAT, MESSAGES, RESPONSES = ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES

CHAT_BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "stream": True,
    "messages": [
        {"role": "system", "content": "sys one"},
        {"role": "developer", "content": [{"type": "text", "text": "dev two"}]},
        {"role": "user", "content": "what is the weather"},
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "thinking it over",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "and tomorrow?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
    ],
    "tools": [
        {"type": "function", "function": {"name": "get_weather", "parameters": {}}},
        {"type": "custom", "custom": {"name": "run_sql"}},
    ],
    "metadata": {"plano_tag": "a", "keep": "b"},
}

MESSAGES_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 10,
    "system": [{"type": "text", "text": "sys block"}],
    "messages": [
        {"role": "user", "content": "hello there"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "let me think", "signature": "s"},
                {"type": "text", "text": "calling"},
                {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": [{"type": "text", "text": "result text"}],
                    "is_error": True,
                }
            ],
        },
    ],
    "tools": [{"name": "lookup", "input_schema": {}}, {"type": "web_search_20250305"}],
    "metadata": {"user_id": "u1"},
}

RESPONSES_BODY: dict[str, Any] = {
    "model": "gpt-5",
    "instructions": "be brief",
    "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "first ask"}]},
        {"type": "function_call", "call_id": "c", "name": "fn", "arguments": '{"a":1}'},
        {"type": "function_call_output", "call_id": "c", "output": "fn out"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "ok"}],
        },
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "summary"}]},
        {"type": "custom_tool_call", "call_id": "d", "name": "sql", "input": "select 1"},
        {"type": "some_future_item", "payload": 1},
        {"role": "user", "content": "second ask"},
    ],
    "tools": [
        {"type": "function", "name": "fn", "parameters": {}},
        {"type": "web_search"},
        {"type": "namespace", "name": "ns", "tools": [{"type": "function", "name": "inner"}]},
    ],
}


def test_model_get_and_set() -> None:
    body = {"model": "a"}
    assert get_model(body) == "a"
    set_model(body, "b")
    assert body == {"model": "b"}
    assert get_model({}) is None
    assert get_model({"model": 3}) is None


def test_is_streaming() -> None:
    assert is_streaming(CHAT_BODY)
    assert not is_streaming(MESSAGES_BODY)
    assert not is_streaming({"stream": "true"})


def test_chat_message_text() -> None:
    text = message_text(CHAT_BODY, CHAT)
    for piece in (
        "sys one",
        "dev two",
        "what is the weather",
        "thinking it over",
        "get_weather",
        '{"city":"Paris"}',
        "sunny",
        "and tomorrow?",
        "run_sql",
    ):
        assert piece in text
    assert "AAAA" not in text


def test_messages_message_text() -> None:
    text = message_text(MESSAGES_BODY, MESSAGES)
    for piece in (
        "sys block",
        "hello there",
        "let me think",
        "calling",
        "lookup",
        '{"q":"x"}',
        "result text",
        "web_search_20250305",
    ):
        assert piece in text
    assert message_text({"system": "plain", "messages": []}, MESSAGES) == "plain"


def test_responses_message_text() -> None:
    text = message_text(RESPONSES_BODY, RESPONSES)
    for piece in (
        "be brief",
        "first ask",
        "fn",
        '{"a":1}',
        "fn out",
        "ok",
        "summary",
        "select 1",
        "second ask",
        "inner",
    ):
        assert piece in text
    assert message_text({"input": "just text"}, RESPONSES) == "just text"


def test_last_user_message() -> None:
    assert last_user_message(CHAT_BODY, CHAT) == "and tomorrow?"
    assert last_user_message(MESSAGES_BODY, MESSAGES) == "hello there"
    assert last_user_message(RESPONSES_BODY, RESPONSES) == "second ask"
    assert last_user_message({"input": "hi"}, RESPONSES) == "hi"
    single = {"input": {"type": "message", "role": "user", "content": "one"}}
    assert last_user_message(single, RESPONSES) == "one"
    assert last_user_message({"messages": []}, CHAT) is None


def test_tool_names() -> None:
    assert tool_names(CHAT_BODY, CHAT) == ["get_weather", "run_sql"]
    assert tool_names(MESSAGES_BODY, MESSAGES) == ["lookup", "web_search_20250305"]
    assert tool_names(RESPONSES_BODY, RESPONSES) == ["fn", "web_search", "inner"]
    assert tool_names({}, CHAT) == []


def test_metadata() -> None:
    body: dict[str, Any] = {"metadata": {"plano_tag": "a", "keep": "b"}}
    assert get_metadata(body) == {"plano_tag": "a", "keep": "b"}
    assert remove_metadata(body, "plano_tag")
    assert not remove_metadata(body, "plano_tag")
    assert body == {"metadata": {"keep": "b"}}
    assert remove_metadata(body, "keep")
    assert body == {}
    assert get_metadata(body) is None
    assert get_metadata({"metadata": "x"}) is None
    assert not remove_metadata({"metadata": None}, "x")


@pytest.mark.parametrize("client", list(ClientApi))
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"messages": None, "input": None, "system": 5, "tools": "x"},
        {"messages": [1, "x", None, {"content": 5}], "input": [3, {"type": 7}]},
        {"messages": [{"role": "user", "content": [{"type": None}, 1]}], "input": {"x": 1}},
        {"tools": [{"function": "x"}, {"custom": 1}, {"type": 3}, {"name": 4}]},
    ],
)
def test_malformed_bodies_never_raise(body: dict[str, Any], client: ClientApi) -> None:
    assert isinstance(message_text(body, client), str)
    last_user_message(body, client)
    assert isinstance(tool_names(body, client), list)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "model",
                    "messages",
                    "input",
                    "system",
                    "tools",
                    "content",
                    "type",
                    "role",
                    "text",
                    "function",
                    "name",
                    "arguments",
                    "custom",
                    "metadata",
                    "instructions",
                    "output",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.dictionaries(
        st.sampled_from(
            ["messages", "input", "system", "tools", "instructions", "metadata", "stream", "model"]
        ),
        JSON,
        max_size=6,
    )
)
def test_random_json_never_raises(body: dict[str, Any]) -> None:
    for client in ClientApi:
        assert isinstance(message_text(body, client), str)
        result = last_user_message(body, client)
        assert result is None or isinstance(result, str)
        assert all(isinstance(name, str) for name in tool_names(body, client))
    get_model(body)
    is_streaming(body)
    get_metadata(body)
    remove_metadata(body, "model")
