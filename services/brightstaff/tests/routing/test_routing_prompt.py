"""The orchestrator prompt: byte equality with the expected prompts, selection and trimming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brightstaff.routing.prompt import (
    MAX_ROUTING_TURNS,
    PROMPT_TEMPLATE,
    TRIM_MARKER,
    ChatTurn,
    RouteSpec,
    build_prompt,
    orchestrator_body,
    render_routes,
    select_conversation,
    trim_middle,
)

FIXTURES = Path(__file__).parent / "fixtures" / "orchestrator_prompts"
CASES: list[dict[str, Any]] = json.loads((FIXTURES / "cases.json").read_text("utf-8"))["cases"]
UNBOUNDED = 2**62
IMAGE = [RouteSpec("Image generation", "generating image")]


def _turns(messages: list[dict[str, Any]]) -> list[ChatTurn]:
    turns = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(p["text"] for p in content if p.get("type") == "text")
        turns.append(ChatTurn(message["role"], content or ""))
    return turns


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_prompt_equals_the_expected_prompt_byte_for_byte(case: dict[str, Any]) -> None:
    routes = [RouteSpec(r["name"], r["description"]) for r in case["routes"]]
    turns = _turns(case["messages"])
    body = orchestrator_body("test-model", routes, turns, case["context_length"] or UNBOUNDED)
    expected = (FIXTURES / case["expected"]).read_bytes()
    assert body["messages"][0]["content"].encode() == expected
    assert body["model"] == "test-model"
    assert body["temperature"] == 0.01
    assert body["messages"][0]["role"] == "user"


def test_routes_are_one_spaced_json_object_per_line() -> None:
    rendered = render_routes([RouteSpec("a:b", 'say "hi", é'), RouteSpec("c", "d")])
    assert rendered == (
        '{"name": "a:b", "description": "say \\"hi\\", é", "parameters": '
        '{"type": "object", "properties": {}, "required": []}}\n'
        '{"name": "c", "description": "d", "parameters": '
        '{"type": "object", "properties": {}, "required": []}}'
    )


def test_only_the_last_turns_are_considered() -> None:
    turns = [
        ChatTurn("user" if i % 2 == 0 else "assistant", f"turn-{i:03}")
        for i in range(MAX_ROUTING_TURNS * 2)
    ]
    prompt = build_prompt(IMAGE, select_conversation(turns, UNBOUNDED))
    for i in range(MAX_ROUTING_TURNS * 2):
        assert (f"turn-{i:03}" in prompt) is (i >= MAX_ROUTING_TURNS)


def test_system_developer_tool_and_empty_messages_are_dropped() -> None:
    turns = [
        ChatTurn("system", "sys"),
        ChatTurn("developer", "dev"),
        ChatTurn("user", "hello"),
        ChatTurn("assistant", ""),
        ChatTurn("tool", "42"),
        ChatTurn("user", "again"),
    ]
    assert select_conversation(turns, UNBOUNDED) == [
        ChatTurn("user", "hello"),
        ChatTurn("user", "again"),
    ]


def test_a_huge_user_message_is_middle_trimmed_within_the_budget() -> None:
    text = "HEAD_MARKER_START " + "A" * 500_000 + " TAIL_MARKER_END"
    prompt = build_prompt(IMAGE, select_conversation([ChatTurn("user", text)], 2048))
    assert len(prompt.encode()) < 2048 * 4 + len(PROMPT_TEMPLATE.encode()) + 1024
    assert "HEAD_MARKER_START" in prompt
    assert "TAIL_MARKER_END" in prompt
    assert prompt.count(TRIM_MARKER) == 1
    assert 0 < prompt.count("A") < 500_000


def test_trim_middle() -> None:
    assert trim_middle("hello", 100) == "hello"
    assert trim_middle("hello", 5) == "hello"
    out = trim_middle("a" * 20, 10)
    assert len(out.encode()) <= 10
    assert out.count(TRIM_MARKER) == 1
    assert out.replace(TRIM_MARKER, "") == "a" * (10 - 3)
    assert trim_middle("abcdefgh", 2) == "ab"
    wide = trim_middle("é" * 50, 25)
    assert len(wide.encode()) <= 25
    assert set(wide) <= {"é", TRIM_MARKER}


def test_when_nothing_fits_the_newest_message_is_kept_whole() -> None:
    turns = [ChatTurn("user", "first"), ChatTurn("assistant", "x" * 4000)]
    assert select_conversation(turns, 10) == [ChatTurn("assistant", "x" * 4000)]


@given(st.lists(st.tuples(st.sampled_from(["user", "assistant"]), st.text()), max_size=4))
def test_the_conversation_is_json_indented_by_4_spaces(items: list[tuple[str, str]]) -> None:
    turns = [ChatTurn(role, text) for role, text in items]
    prompt = build_prompt(IMAGE, turns)
    expected = json.dumps(
        [{"role": role, "content": text} for role, text in items], indent=4, ensure_ascii=False
    )
    assert f"<conversation>\n{expected}\n</conversation>" in prompt
