"""Conversions between request input, response output and stored history."""

from __future__ import annotations

import pytest

from brightstaff.state.items import (
    OUTPUT_MARK,
    InvalidInputError,
    forwarded,
    item_id,
    output_to_input,
    request_items,
    split_output,
)

USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}


def test_a_string_input_is_one_user_message() -> None:
    assert request_items("hi") == [USER]


def test_item_and_list_inputs() -> None:
    assert request_items(USER) == [USER]
    items = [USER, {"role": "assistant", "content": "yo"}]
    converted = request_items(items)
    assert converted == items and converted is not items
    assert request_items(None) == []


@pytest.mark.parametrize("value", [3, ["text"], [USER, 1], True])
def test_other_inputs_are_refused(value: object) -> None:
    with pytest.raises(InvalidInputError):
        request_items(value)


def test_output_items_become_input_items() -> None:
    output = [
        {
            "id": "rs_1",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "think"}],
            "encrypted_content": "sig",
        },
        {
            "id": "msg_1",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "Hello", "annotations": [], "logprobs": []},
                {"type": "refusal", "refusal": "no"},
            ],
        },
        {
            "id": "fc_1",
            "type": "function_call",
            "status": "completed",
            "call_id": "call_9",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {"id": "ws_1", "type": "web_search_call", "status": "completed"},
        {"id": "msg_2", "type": "message", "role": "assistant", "content": []},
    ]
    assert output_to_input(output, "resp_1") == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "think"}],
            "encrypted_content": "sig",
            OUTPUT_MARK: "resp_1",
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "Hello"},
                {"type": "refusal", "refusal": "no"},
            ],
            OUTPUT_MARK: "resp_1",
        },
        {
            "type": "function_call",
            "call_id": "call_9",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
            OUTPUT_MARK: "resp_1",
        },
    ]


def test_split_output_and_forwarded_remove_the_mark() -> None:
    earlier = output_to_input(
        [
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "a"}],
            }
        ],
        "resp_1",
    )
    latest = output_to_input(
        [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}], "resp_2"
    )
    history = [USER, *earlier, USER, *latest]
    inputs, outputs = split_output(history, "resp_2")
    assert inputs == [
        USER,
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a"}]},
        USER,
    ]
    assert outputs == [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]
    assert all(OUTPUT_MARK not in item for item in forwarded(history))
    assert forwarded([USER])[0] is USER


def test_item_ids_are_own_or_positional() -> None:
    assert item_id({"id": "msg_x", "type": "message"}, 3) == "msg_x"
    assert item_id(USER, 3) == "msg_000003"
    assert item_id({"role": "user", "content": "x"}, 0) == "msg_000000"
    assert (
        item_id({"type": "function_call_output", "call_id": "c", "output": "1"}, 12) == "fco_000012"
    )
    assert item_id({"type": "other"}, 1) == "item_000001"
