"""Provider request normalization before a body goes upstream."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hermesllm.apis import UpstreamApi
from hermesllm.errors import UnsupportedConversionError
from hermesllm.normalize import (
    CHATGPT_BASE_INSTRUCTIONS,
    is_gpt5_reasoning_model,
    is_openai_reasoning_model,
    normalize_for_upstream,
)
from hermesllm.provider_ids import ProviderId

P = ProviderId
U = UpstreamApi
MESSAGES = [{"role": "user", "content": "hi"}]


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(MESSAGES), **fields}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("o1", True),
        ("o1-mini", True),
        ("o3", True),
        ("o3-mini-2025-01-31", True),
        ("o4-mini", True),
        ("openai/o3-pro", True),
        ("openrouter/o3", True),
        ("O3", True),
        ("o2", False),
        ("o3x", False),
        ("gpt-4o", False),
        ("claude-opus-4", False),
    ],
)
def test_openai_reasoning_model_detection(model: str, expected: bool) -> None:
    assert is_openai_reasoning_model(model) is expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-5", True),
        ("gpt-5-mini", True),
        ("gpt-5.1-codex", True),
        ("openai/gpt-5-nano", True),
        ("gpt-5-chat-latest", False),
        ("gpt-4.1", False),
    ],
)
def test_gpt5_detection(model: str, expected: bool) -> None:
    assert is_gpt5_reasoning_model(model) is expected


def test_o_series_moves_max_tokens_and_drops_sampling() -> None:
    body = chat(
        max_tokens=100,
        temperature=0.2,
        top_p=0.9,
        presence_penalty=1,
        frequency_penalty=1,
        logprobs=True,
        top_logprobs=2,
        logit_bias={"1": 2},
        n=2,
        seed=3,
    )
    normalize_for_upstream(body, P.OPENAI, U.CHAT, "o3-mini")
    assert body == chat(max_completion_tokens=100, n=2, seed=3)


def test_o_series_keeps_explicit_max_completion_tokens() -> None:
    body = chat(max_tokens=100, max_completion_tokens=50)
    normalize_for_upstream(body, P.OPENROUTER, U.CHAT, "openai/o4-mini")
    assert body == chat(max_completion_tokens=50)


def test_gpt5_forces_temperature_only_when_sent() -> None:
    body = chat(temperature=0.3, max_tokens=10, top_p=0.5)
    normalize_for_upstream(body, P.AZURE_OPENAI, U.CHAT, "gpt-5")
    assert body == chat(temperature=1.0, max_completion_tokens=10, top_p=0.5)
    absent = chat()
    normalize_for_upstream(absent, P.OPENAI, U.CHAT, "gpt-5-mini")
    assert absent == chat()


def test_gpt5_chat_variant_is_untouched() -> None:
    body = chat(temperature=0.3, max_tokens=10)
    normalize_for_upstream(body, P.OPENAI, U.CHAT, "gpt-5-chat-latest")
    assert body == chat(temperature=0.3, max_tokens=10)


def test_model_rules_only_apply_to_chat_upstream() -> None:
    body = {"model": "o3", "input": "hi", "temperature": 0.2, "max_output_tokens": 5}
    normalize_for_upstream(body, P.OPENAI, U.RESPONSES, "o3")
    assert body == {"model": "o3", "input": "hi", "temperature": 0.2, "max_output_tokens": 5}


def test_xai_chat_drops_web_search_options() -> None:
    body = chat(web_search_options={})
    normalize_for_upstream(body, P.XAI, U.CHAT, "grok-4")
    assert body == chat()
    other = chat(web_search_options={})
    normalize_for_upstream(other, P.OPENAI, U.CHAT, "gpt-4o")
    assert other == chat(web_search_options={})


def test_kimi_code_chat_drops_unsupported_fields() -> None:
    body = chat(
        stream_options={"include_usage": True},
        reasoning_effort="high",
        web_search_options={},
        service_tier="auto",
        store=True,
        temperature=0.5,
    )
    normalize_for_upstream(body, P.MOONSHOTAI, U.CHAT, "kimi-for-coding")
    assert body == chat(temperature=0.5)


def test_kimi_code_messages_drops_thinking() -> None:
    body = {"model": "m", "max_tokens": 5, "messages": MESSAGES, "thinking": {"type": "enabled"}}
    normalize_for_upstream(body, P.ANTHROPIC, U.MESSAGES, "kimi-for-coding")
    assert "thinking" not in body


def test_claude_messages_keep_thinking() -> None:
    body = {"model": "m", "max_tokens": 5, "messages": MESSAGES, "thinking": {"type": "enabled"}}
    normalize_for_upstream(body, P.ANTHROPIC, U.MESSAGES, "claude-opus-4-5")
    assert body["thinking"] == {"type": "enabled"}


@pytest.mark.parametrize(
    ("effort", "expected"),
    [
        ("none", "low"),
        ("minimal", "low"),
        ("low", "low"),
        ("medium", "high"),
        ("HIGH", "high"),
        ("max", "max"),
        ("turbo", None),
        (3, None),
    ],
)
def test_kimi_k3_on_moonshot(effort: object, expected: str | None) -> None:
    body = chat(
        temperature=0.7,
        top_p=0.9,
        n=1,
        presence_penalty=0,
        frequency_penalty=0,
        reasoning_effort=effort,
        max_tokens=9,
    )
    normalize_for_upstream(body, P.MOONSHOTAI, U.CHAT, "kimi-k3")
    expected_body = chat(max_tokens=9)
    if expected is not None:
        expected_body["reasoning_effort"] = expected
    assert body == expected_body


def test_kimi_k3_on_an_aggregator_is_untouched() -> None:
    body = chat(temperature=0.7, reasoning_effort="medium")
    normalize_for_upstream(body, P.OPENROUTER, U.CHAT, "kimi-k3")
    assert body == chat(temperature=0.7, reasoning_effort="medium")


def test_chatgpt_responses_requirements() -> None:
    body: dict[str, Any] = {"model": "gpt-5.4", "input": "hello"}
    normalize_for_upstream(body, P.CHATGPT, U.RESPONSES, "gpt-5.4")
    assert body == {
        "model": "gpt-5.4",
        "input": [{"type": "message", "role": "user", "content": "hello"}],
        "instructions": CHATGPT_BASE_INSTRUCTIONS,
        "store": False,
        "stream": True,
    }
    again = dict(body)
    normalize_for_upstream(again, P.CHATGPT, U.RESPONSES, "gpt-5.4")
    assert again == body


def test_chatgpt_prepends_base_instructions_once() -> None:
    body: dict[str, Any] = {
        "model": "m",
        "input": {"type": "message", "role": "user", "content": "x"},
        "instructions": "Be terse.",
        "stream": True,
        "store": True,
    }
    normalize_for_upstream(body, P.CHATGPT, U.RESPONSES, "m")
    assert body["instructions"] == f"{CHATGPT_BASE_INSTRUCTIONS}\n\nBe terse."
    assert body["input"] == [{"type": "message", "role": "user", "content": "x"}]
    assert body["store"] is False
    normalize_for_upstream(body, P.CHATGPT, U.RESPONSES, "m")
    assert body["instructions"] == f"{CHATGPT_BASE_INSTRUCTIONS}\n\nBe terse."


def test_chatgpt_rejects_explicit_non_streaming() -> None:
    with pytest.raises(UnsupportedConversionError, match="only supports streaming"):
        normalize_for_upstream(
            {"model": "m", "input": "x", "stream": False}, P.CHATGPT, U.RESPONSES, "m"
        )


def test_openai_responses_is_not_given_chatgpt_rules() -> None:
    body = {"model": "gpt-5", "input": "x", "stream": False}
    normalize_for_upstream(body, P.OPENAI, U.RESPONSES, "gpt-5")
    assert body == {"model": "gpt-5", "input": "x", "stream": False}


@pytest.mark.parametrize("upstream", [U.BEDROCK_CONVERSE, U.GEMINI])
def test_native_bodies_are_untouched(upstream: UpstreamApi) -> None:
    body = {"messages": [], "inferenceConfig": {"maxTokens": 5}}
    normalize_for_upstream(body, P.AMAZON_BEDROCK, upstream, "o3")
    assert body == {"messages": [], "inferenceConfig": {"maxTokens": 5}}


def test_stream_options_only_travel_with_streaming_chat() -> None:
    body = chat(stream_options={"include_usage": True})
    normalize_for_upstream(body, P.OPENAI, U.CHAT, "gpt-4o")
    assert body == chat()
    streaming = chat(stream=True, stream_options={"include_usage": True})
    normalize_for_upstream(streaming, P.OPENAI, U.CHAT, "gpt-4o")
    assert streaming == chat(stream=True, stream_options={"include_usage": True})


FIELD_VALUES = st.none() | st.booleans() | st.integers() | st.text(max_size=6) | st.just({})
FIELDS = st.sampled_from(
    [
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "reasoning_effort",
        "stream",
        "stream_options",
        "instructions",
        "input",
        "thinking",
        "store",
        "web_search_options",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.dictionaries(FIELDS, FIELD_VALUES, max_size=8),
    st.sampled_from(list(ProviderId)),
    st.sampled_from(list(UpstreamApi)),
    st.sampled_from(["o3", "gpt-5", "kimi-k3", "kimi-for-coding", "claude-opus-4", "x"]),
)
def test_random_bodies_raise_only_typed_errors(
    body: dict[str, Any], provider: ProviderId, upstream: UpstreamApi, model: str
) -> None:
    try:
        normalize_for_upstream(body, provider, upstream, model)
    except UnsupportedConversionError:
        assert provider is P.CHATGPT
        assert body.get("stream") is False
