"""Property tests: breakpoint injection is idempotent and never exceeds four markers."""

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hermesllm.apis import UpstreamApi
from hermesllm.cache_control import MAX_BREAKPOINTS, inject_cache_breakpoints
from hermesllm.provider_ids import ProviderId

MARKER = st.sampled_from([None, {"type": "ephemeral"}, {"type": "ephemeral", "ttl": "5m"}])
TEXT = st.text(min_size=0, max_size=40) | st.builds(lambda n: "w" * n, st.integers(0, 3000))


@st.composite
def blocks(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "thinking", "tool_use", "tool_result", "image"]))
    block: dict[str, Any] = {"type": kind}
    if kind == "text":
        block["text"] = draw(TEXT)
    elif kind == "thinking":
        block["thinking"] = draw(TEXT)
    elif kind == "tool_use":
        block |= {"id": "t", "name": "f", "input": {"q": draw(TEXT)}}
    elif kind == "tool_result":
        block |= {"tool_use_id": "t", "content": draw(TEXT)}
    else:
        block["source"] = {"type": "base64", "media_type": "image/png", "data": "AA"}
    marker = draw(MARKER)
    if marker is not None and kind != "thinking":
        block["cache_control"] = dict(marker)
    return block


@st.composite
def anthropic_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "claude", "max_tokens": 5}
    body["system"] = draw(st.none() | TEXT | st.lists(blocks(), max_size=3))
    if body["system"] is None:
        del body["system"]
    tools = draw(st.lists(st.fixed_dictionaries({"name": st.just("f"), "description": TEXT})))
    if tools:
        body["tools"] = tools
    body["messages"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(["user", "assistant"]),
                    "content": TEXT | st.lists(blocks(), max_size=4),
                }
            ),
            max_size=6,
        )
    )
    return body


def count_markers(value: Any) -> int:
    if isinstance(value, dict):
        own = 1 if "cache_control" in value else 0
        return own + sum(count_markers(v) for k, v in value.items() if k != "cache_control")
    if isinstance(value, list):
        return sum(count_markers(item) for item in value)
    return 0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(anthropic_bodies(), st.integers(0, 2000))
def test_idempotent_and_bounded(body: dict[str, Any], min_tokens: int) -> None:
    before = count_markers(body)
    inject_cache_breakpoints(
        body, ProviderId.ANTHROPIC, UpstreamApi.MESSAGES, "claude", min_prefix_tokens=min_tokens
    )
    after = count_markers(body)
    assert after >= before
    assert after <= max(before, MAX_BREAKPOINTS)
    once = copy.deepcopy(body)
    inject_cache_breakpoints(
        body, ProviderId.ANTHROPIC, UpstreamApi.MESSAGES, "claude", min_prefix_tokens=min_tokens
    )
    assert body == once


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "system",
                    "tools",
                    "messages",
                    "content",
                    "type",
                    "text",
                    "role",
                    "cache_control",
                    "ttl",
                    "data",
                    "name",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.dictionaries(st.sampled_from(["system", "tools", "messages"]), JSON, max_size=3),
    st.sampled_from(
        [
            (ProviderId.ANTHROPIC, UpstreamApi.MESSAGES, "claude"),
            (ProviderId.OPENROUTER, UpstreamApi.CHAT, "anthropic/claude-3.5-sonnet"),
        ]
    ),
)
def test_random_json_never_raises(body: dict[str, Any], target: Any) -> None:
    provider, upstream, model = target
    inject_cache_breakpoints(body, provider, upstream, model, min_prefix_tokens=0)
