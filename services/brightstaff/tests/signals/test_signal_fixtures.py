"""The original implementation's unit-test conversations: each gives the signal types the
original asserts, and the full report (types, counts, quality bucket and score) is pinned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from brightstaff.signals import analyze, conversation_rows
from hermesllm.apis import ClientApi

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "original_unit_cases.json").read_text())
CASES: list[dict[str, Any]] = FIXTURES["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["test"] for c in CASES])
def test_original_case(case: dict[str, Any]) -> None:
    report = analyze([(row["from"], row["value"]) for row in case["rows"]])
    counts = report.counts_by_type()
    assert set(case["asserted"]) <= set(counts)
    if "quality_in" in case:
        assert report.overall_quality.value in case["quality_in"]
    assert counts == case["types"]
    assert (report.overall_quality.value, report.quality_score) == (
        case["quality"],
        case["quality_score"],
    )


def test_layers_are_all_covered() -> None:
    layers = {t.split(".")[0] for case in CASES for t in case["types"]}
    assert layers == {"interaction", "execution", "environment"}


def test_summary_lists_every_layer() -> None:
    report = analyze(
        [
            ("human", "This isn't helpful at all"),
            ("gpt", "Sorry"),
            ("human", "Get me a human, this is useless"),
        ]
    )
    assert report.summary == (
        "Overall Quality: severe | Turns: 2 (efficiency: 100.0%) | "
        "Interaction \u2014 misalignment: 0, "
        "stagnation: 0, disengagement: 1 (sev 1), satisfaction: 0 | Execution \u2014 failure: 0, "
        "loops: 0 | Environment \u2014 exhaustion: 0 | Escalation requested: 1"
    )


def test_openai_messages_become_rows() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "be nice"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {}}],
            },
            {
                "role": "assistant",
                "content": "calling",
                "tool_calls": [
                    {
                        "id": "1",
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"a":1}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "1", "content": "HTTP 429 too many requests"},
        ]
    }
    rows = conversation_rows(ClientApi.CHAT, body)
    assert rows == [
        ("human", "hi"),
        ("gpt", "calling"),
        ("function_call", '{"arguments":"{\\"a\\":1}","name":"f"}'),
        ("observation", "HTTP 429 too many requests"),
    ]


def test_anthropic_and_responses_bodies_become_rows() -> None:
    anthropic = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "w", "input": {"c": "x"}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": "timed out"}],
            },
        ]
    }
    assert [r[0] for r in conversation_rows(ClientApi.MESSAGES, anthropic)] == [
        "human",
        "function_call",
        "observation",
    ]
    responses = {
        "input": [
            {"role": "user", "content": "hello"},
            {"type": "function_call", "name": "f", "arguments": "{}", "call_id": "c"},
            {"type": "function_call_output", "call_id": "c", "output": "ok"},
        ]
    }
    assert [r[0] for r in conversation_rows(ClientApi.RESPONSES, responses)] == [
        "human",
        "function_call",
        "observation",
    ]
    assert conversation_rows(ClientApi.RESPONSES, {"input": "just text"}) == [
        ("human", "just text")
    ]


def test_long_conversation_keeps_the_last_hundred_rows() -> None:
    rows = [("human", f"message number {i} about topic {i * 7}") for i in range(150)]
    report = analyze(rows)
    assert report.turn_metrics.user_turns == 100
    dragging = report.group("interaction", "stagnation").signals[0]
    assert dragging.message_index == 149
