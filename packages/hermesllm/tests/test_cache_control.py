"""Prompt-cache strategy resolution and marker injection."""

import copy
from typing import Any

import pytest

from hermesllm.apis import UpstreamApi
from hermesllm.cache_control import CacheStrategy, cache_strategy, inject_cache_breakpoints
from hermesllm.provider_ids import ProviderId

P = ProviderId
U = UpstreamApi
S = CacheStrategy
EPHEMERAL = {"type": "ephemeral"}
LONG = "x" * 5000  # ~1250 estimated tokens
SHORT = "short"


@pytest.mark.parametrize(
    ("provider", "upstream", "model", "expected"),
    [
        (P.ANTHROPIC, U.MESSAGES, "claude-sonnet-4-5", S.ANTHROPIC_BREAKPOINTS),
        (P.VERCEL, U.MESSAGES, "anthropic/claude-sonnet-4.5", S.ANTHROPIC_BREAKPOINTS),
        (P.VERCEL, U.MESSAGES, "openai/gpt-5", S.NONE),
        (P.DIGITALOCEAN, U.CHAT, "anthropic-claude-3-5-sonnet", S.CONTENT_PART),
        (P.OPENROUTER, U.CHAT, "anthropic/claude-3.5-sonnet", S.CONTENT_PART),
        (P.EDENAI, U.CHAT, "anthropic/claude-3.5-sonnet", S.CONTENT_PART),
        (P.VERCEL, U.CHAT, "anthropic/claude-3.5", S.NONE),
        (P.DIGITALOCEAN, U.CHAT, "openai-gpt-4o", S.AUTOMATIC),
        (P.OPENAI, U.CHAT, "gpt-4o", S.AUTOMATIC),
        (P.DEEPSEEK, U.CHAT, "deepseek-chat", S.AUTOMATIC),
        (P.MISTRAL, U.CHAT, "mistral-large-latest", S.NONE),
        (P.OPENAI, U.RESPONSES, "gpt-5", S.AUTOMATIC),
        (P.GEMINI, U.GEMINI, "gemini-2.5-pro", S.AUTOMATIC),
        (P.AMAZON_BEDROCK, U.BEDROCK_CONVERSE, "anthropic.claude-3-5-sonnet", S.NONE),
    ],
)
def test_strategy(provider: ProviderId, upstream: UpstreamApi, model: str, expected: S) -> None:
    assert cache_strategy(provider, upstream, model) is expected


def anthropic_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "second question"},
        ],
    }
    body.update(fields)
    return body


def inject(body: dict[str, Any], **kwargs: Any) -> None:
    inject_cache_breakpoints(body, P.ANTHROPIC, U.MESSAGES, "claude-sonnet-4-5", **kwargs)


def markers(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = [t["cache_control"] for t in body.get("tools", []) if "cache_control" in t]
    system = body.get("system")
    if isinstance(system, list):
        found += [b["cache_control"] for b in system if "cache_control" in b]
    for message in body["messages"]:
        if isinstance(message["content"], list):
            found += [b["cache_control"] for b in message["content"] if "cache_control" in b]
    return found


def test_breakpoints_on_system_last_message_and_previous_user_turn() -> None:
    body = anthropic_body(system=LONG)
    inject(body)
    assert body["system"] == [{"type": "text", "text": LONG, "cache_control": EPHEMERAL}]
    assert body["messages"][2]["content"] == [
        {"type": "text", "text": "second question", "cache_control": EPHEMERAL}
    ]
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "first question", "cache_control": EPHEMERAL}
    ]
    assert body["messages"][1]["content"] == "first answer"
    assert len(markers(body)) == 3


def test_injection_is_idempotent() -> None:
    body = anthropic_body(system=LONG, tools=[{"name": "t", "input_schema": {}}])
    inject(body)
    once = copy.deepcopy(body)
    inject(body)
    assert body == once


def test_short_prefix_is_left_alone() -> None:
    body = anthropic_body(system=SHORT)
    before = copy.deepcopy(body)
    inject(body)
    assert body == before


def test_breakpoint_needs_its_own_prefix_to_reach_the_minimum() -> None:
    body = anthropic_body(system=SHORT)
    body["messages"][2]["content"] = LONG
    inject(body)
    assert body["system"] == SHORT
    assert body["messages"][2]["content"][0]["cache_control"] == EPHEMERAL
    assert body["messages"][0]["content"] == "first question"


def test_min_prefix_tokens_and_ttl_are_configurable() -> None:
    body = anthropic_body(system="y" * 400)
    inject(body, min_prefix_tokens=50, ttl="1h")
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_last_tool_marks_the_prefix_without_a_system_prompt() -> None:
    tools = [
        {"name": "a", "input_schema": {"type": "object"}},
        {"name": "b", "description": LONG, "input_schema": {"type": "object"}},
    ]
    body = anthropic_body(tools=tools)
    inject(body)
    assert "cache_control" not in body["tools"][0]
    assert body["tools"][1]["cache_control"] == EPHEMERAL


def test_existing_markers_count_toward_the_limit_of_four() -> None:
    body = anthropic_body(
        system=[
            {"type": "text", "text": "a", "cache_control": EPHEMERAL},
            {"type": "text", "text": "b", "cache_control": EPHEMERAL},
            {"type": "text", "text": LONG},
        ],
        tools=[{"name": "t", "input_schema": {}, "cache_control": EPHEMERAL}],
    )
    inject(body)
    assert len(markers(body)) == 4
    assert body["system"][2]["cache_control"] == EPHEMERAL
    assert body["messages"][2]["content"] == "second question"


def test_four_existing_markers_means_no_change() -> None:
    system = [{"type": "text", "text": LONG, "cache_control": EPHEMERAL} for _ in range(4)]
    body = anthropic_body(system=system)
    before = copy.deepcopy(body)
    inject(body)
    assert body == before


def test_client_markers_with_a_long_ttl_are_left_alone() -> None:
    marked = {"type": "ephemeral", "ttl": "1h"}
    body = anthropic_body(system=[{"type": "text", "text": LONG, "cache_control": marked}])
    before = copy.deepcopy(body)
    inject(body)
    assert body == before


def test_existing_marker_on_the_same_block_is_kept() -> None:
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "5m"}}]
    body = anthropic_body(system=system)
    inject(body)
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    assert len(markers(body)) == 3


def test_thinking_and_empty_text_blocks_are_never_marked() -> None:
    body = anthropic_body(system=LONG)
    body["messages"].append(
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
                {"type": "thinking", "thinking": "hmm", "signature": "s"},
                {"type": "text", "text": ""},
            ],
        }
    )
    inject(body)
    blocks = body["messages"][3]["content"]
    assert blocks[0]["cache_control"] == EPHEMERAL
    assert "cache_control" not in blocks[1]
    assert "cache_control" not in blocks[2]


def test_tool_result_and_image_blocks_are_cacheable() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A"}}
    body = anthropic_body(system=LONG)
    body["messages"][2]["content"] = [
        {"type": "tool_result", "tool_use_id": "t", "content": "ok"},
        image,
    ]
    inject(body)
    assert body["messages"][2]["content"][1]["cache_control"] == EPHEMERAL
    assert "cache_control" not in body["messages"][2]["content"][0]


def test_base64_payloads_do_not_count_as_prefix_text() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": LONG}}
    body = anthropic_body(system=SHORT)
    body["messages"][2]["content"] = [image]
    before = copy.deepcopy(body)
    inject(body)
    assert body == before


def test_malformed_bodies_do_not_raise() -> None:
    for body in (
        {},
        {"system": 3, "messages": "x", "tools": {"a": 1}},
        {"system": LONG, "messages": [None, 1, {"role": "user"}]},
    ):
        inject(body)


def test_other_strategies_leave_the_body_alone() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "system", "content": LONG}]}
    before = copy.deepcopy(body)
    inject_cache_breakpoints(body, P.OPENAI, U.CHAT, "gpt-4o")
    inject_cache_breakpoints(body, P.AMAZON_BEDROCK, U.BEDROCK_CONVERSE, "anthropic.claude")
    assert body == before


# ---- OpenAI-compatible content-part markers ------------------------------------------


def chat_body(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"model": "anthropic/claude-3.5-sonnet", "messages": list(messages), **fields}


def inject_chat(body: dict[str, Any], **kwargs: Any) -> None:
    inject_cache_breakpoints(body, P.OPENROUTER, U.CHAT, "anthropic/claude-3.5-sonnet", **kwargs)


def test_content_part_marks_the_last_leading_system_message() -> None:
    body = chat_body(
        {"role": "system", "content": "rules"},
        {"role": "developer", "content": LONG},
        {"role": "user", "content": "hi"},
    )
    inject_chat(body)
    assert body["messages"][0]["content"] == "rules"
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": LONG, "cache_control": EPHEMERAL}
    ]
    assert body["messages"][2]["content"] == "hi"
    once = copy.deepcopy(body)
    inject_chat(body)
    assert body == once


def test_content_part_marks_last_text_part_with_ttl() -> None:
    body = chat_body(
        {
            "role": "system",
            "content": [{"type": "text", "text": LONG}, {"type": "text", "text": "tail"}],
        },
        {"role": "user", "content": "hi"},
    )
    inject_chat(body, ttl="1h")
    parts = body["messages"][0]["content"]
    assert "cache_control" not in parts[0]
    assert parts[1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_content_part_respects_client_markers_and_threshold() -> None:
    marked = chat_body(
        {"role": "system", "content": LONG},
        {"role": "user", "content": [{"type": "text", "text": "x", "cache_control": EPHEMERAL}]},
    )
    before = copy.deepcopy(marked)
    inject_chat(marked)
    assert marked == before
    short = chat_body({"role": "system", "content": SHORT}, {"role": "user", "content": "hi"})
    before = copy.deepcopy(short)
    inject_chat(short)
    assert short == before


def test_content_part_counts_tools_and_falls_back_to_first_message() -> None:
    tools = [{"type": "function", "function": {"name": "f", "description": LONG}}]
    body = chat_body({"role": "user", "content": "hi"}, tools=tools)
    inject_chat(body)
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "hi", "cache_control": EPHEMERAL}
    ]


def test_markers_nested_in_tool_results_count_toward_the_limit() -> None:
    nested = [{"type": "text", "text": "r", "cache_control": EPHEMERAL}] * 3
    body = anthropic_body(system=LONG)
    body["messages"][0]["content"] = [
        {"type": "tool_result", "tool_use_id": "t", "content": nested}
    ]
    inject(body)
    assert body["system"][0]["cache_control"] == EPHEMERAL
    assert body["messages"][2]["content"] == "second question"


def test_markers_with_another_lifetime_block_injection_with_a_ttl() -> None:
    body = anthropic_body(
        system=LONG, tools=[{"name": "t", "input_schema": {}, **{"cache_control": EPHEMERAL}}]
    )
    before = copy.deepcopy(body)
    inject(body, ttl="1h")
    assert body == before
    same = anthropic_body(
        system=LONG,
        tools=[
            {"name": "t", "input_schema": {}, "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ],
    )
    inject(same, ttl="1h")
    assert same["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_malformed_existing_markers_do_not_raise() -> None:
    body = anthropic_body(system=[{"type": "text", "text": LONG, "cache_control": {"ttl": {}}}])
    inject(body)
    assert body["system"][0]["cache_control"] == {"ttl": {}}
