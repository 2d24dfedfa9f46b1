"""Property: a translated request never carries a JSON null.

Random valid Chat, Messages and Responses requests, with every optional field either absent,
set, or explicitly null (the OpenAI SDKs send `None` arguments as null), are translated to
every other upstream API. User-supplied JSON (schemas, tool arguments) holds no null here, so
any null in the output was invented by the translator.
"""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.errors import UnsupportedConversionError
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import prepare_upstream_request

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UPSTREAMS = {
    UpstreamApi.CHAT: ProviderId.OPENAI,
    UpstreamApi.MESSAGES: ProviderId.ANTHROPIC,
    UpstreamApi.BEDROCK_CONVERSE: ProviderId.AMAZON_BEDROCK,
    UpstreamApi.GEMINI: ProviderId.GEMINI,
}
TARGETS = {
    ClientApi.CHAT: [UpstreamApi.MESSAGES, UpstreamApi.BEDROCK_CONVERSE, UpstreamApi.GEMINI],
    ClientApi.MESSAGES: [UpstreamApi.CHAT, UpstreamApi.BEDROCK_CONVERSE, UpstreamApi.GEMINI],
    ClientApi.RESPONSES: list(UPSTREAMS),
}

texts = st.text(max_size=12)
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
scalars = st.booleans() | st.integers(-100, 100) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=6,
)
schemas = st.just({"type": "object", "properties": {"q": {"type": "string"}}}) | st.just(
    {"type": "object"}
)
IMAGE = "data:image/png;base64,iVBORw0KGgo="


def _optional(draw: st.DrawFn, body: dict[str, Any], field: str, value: st.SearchStrategy) -> None:
    """Leave `field` out, set it, or send it as null."""
    choice = draw(st.sampled_from(["absent", "set", "null"]))
    if choice == "set":
        body[field] = draw(value)
    elif choice == "null":
        body[field] = None


@st.composite
def chat_requests(draw: st.DrawFn) -> dict[str, Any]:
    tool_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    messages: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        messages.append({"role": draw(st.sampled_from(["system", "developer"])), "content": "s"})
    calls = 0
    for _ in range(draw(st.integers(1, 3))):
        content: Any = draw(
            texts
            | st.just(
                [{"type": "text", "text": "t"}, {"type": "image_url", "image_url": {"url": IMAGE}}]
            )
        )
        messages.append({"role": "user", "content": content})
        turn_calls = [
            {
                "id": f"call_{calls + n}",
                "type": "function",
                "function": {
                    "name": draw(st.sampled_from(tool_names)),
                    "arguments": json.dumps(draw(st.dictionaries(names, values, max_size=2))),
                },
            }
            for n in range(draw(st.integers(0, 2)))
        ]
        calls += len(turn_calls)
        assistant: dict[str, Any] = {"role": "assistant", "content": draw(st.none() | texts)}
        if turn_calls:
            assistant["tool_calls"] = turn_calls
        elif assistant["content"] is None:
            assistant["content"] = "a"
        _optional(draw, assistant, "refusal", texts)
        messages.append(assistant)
        messages.extend(
            {"role": "tool", "tool_call_id": call["id"], "content": draw(texts)}
            for call in turn_calls
        )
    messages.append({"role": "user", "content": "go"})
    body: dict[str, Any] = {"model": "client-model", "messages": messages}
    tools = [
        {"type": "function", "function": {"name": name, "parameters": draw(schemas)}}
        for name in tool_names
    ]
    _optional(draw, body, "tools", st.just(tools))
    _optional(draw, body, "tool_choice", st.sampled_from(["auto", "required", "none"]))
    _optional(draw, body, "parallel_tool_calls", st.booleans())
    _optional(draw, body, "max_tokens", st.integers(1, 5000))
    _optional(draw, body, "max_completion_tokens", st.integers(1, 5000))
    _optional(draw, body, "temperature", st.floats(0, 2))
    _optional(draw, body, "top_p", st.floats(0, 1))
    _optional(draw, body, "stop", texts | st.lists(texts, max_size=2))
    _optional(draw, body, "stream", st.booleans())
    _optional(draw, body, "reasoning_effort", st.sampled_from(["low", "medium", "high"]))
    _optional(draw, body, "user", texts)
    _optional(draw, body, "metadata", st.dictionaries(names, texts, max_size=2))
    _optional(draw, body, "seed", st.integers(0, 10))
    return body


@st.composite
def messages_requests(draw: st.DrawFn) -> dict[str, Any]:
    tool_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    messages: list[dict[str, Any]] = []
    for turn in range(draw(st.integers(1, 3))):
        messages.append({"role": "user", "content": draw(st.text(min_size=1, max_size=12))})
        blocks: list[dict[str, Any]] = [{"type": "text", "text": "ok"}]
        uses = [
            {
                "type": "tool_use",
                "id": f"toolu_{turn}_{n}",
                "name": draw(st.sampled_from(tool_names)),
                "input": draw(st.dictionaries(names, values, max_size=2)),
            }
            for n in range(draw(st.integers(0, 2)))
        ]
        messages.append({"role": "assistant", "content": blocks + uses})
        if uses:
            results = [
                {
                    "type": "tool_result",
                    "tool_use_id": use["id"],
                    "content": draw(texts),
                    **({"is_error": True} if draw(st.booleans()) else {}),
                }
                for use in uses
            ]
            messages.append({"role": "user", "content": results})
            messages.append({"role": "assistant", "content": "done"})
    messages.append({"role": "user", "content": "go"})
    body: dict[str, Any] = {"model": "claude", "max_tokens": 1024, "messages": messages}
    if draw(st.booleans()):
        body["system"] = draw(st.just("sys") | st.just([{"type": "text", "text": "a"}]))
    if draw(st.booleans()):
        body["tools"] = [{"name": name, "input_schema": draw(schemas)} for name in tool_names]
    if draw(st.booleans()):
        body["thinking"] = {"type": "enabled", "budget_tokens": draw(st.integers(1024, 4000))}
    for field, value in (
        ("temperature", st.floats(0, 1)),
        ("top_k", st.integers(1, 50)),
        ("stop_sequences", st.lists(texts, max_size=2)),
        ("metadata", st.just({"user_id": "u"})),
        ("stream", st.booleans()),
    ):
        if draw(st.booleans()):
            body[field] = draw(value)
    return body


@st.composite
def responses_requests(draw: st.DrawFn) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"role": "developer", "content": "dev"},
        {"role": "user", "content": [{"type": "input_text", "text": draw(texts)}]},
    ]
    for n in range(draw(st.integers(0, 2))):
        arguments = json.dumps(draw(st.dictionaries(names, values, max_size=2)))
        items.append(
            {"type": "function_call", "call_id": f"c{n}", "name": "f", "arguments": arguments}
        )
        items.append({"type": "function_call_output", "call_id": f"c{n}", "output": draw(texts)})
    items.append({"role": "user", "content": "go"})
    body: dict[str, Any] = {"model": "gpt", "input": items}
    _optional(draw, body, "instructions", texts)
    _optional(
        draw,
        body,
        "tools",
        st.just([{"type": "function", "name": "f", "parameters": {"type": "object"}}]),
    )
    _optional(draw, body, "tool_choice", st.sampled_from(["auto", "required", "none"]))
    _optional(draw, body, "parallel_tool_calls", st.booleans())
    _optional(draw, body, "max_output_tokens", st.integers(1, 5000))
    _optional(draw, body, "temperature", st.floats(0, 2))
    _optional(draw, body, "top_p", st.floats(0, 1))
    _optional(draw, body, "reasoning", st.just({"effort": "low"}))
    _optional(draw, body, "user", texts)
    _optional(draw, body, "metadata", st.dictionaries(names, texts, max_size=2))
    _optional(draw, body, "stream", st.booleans())
    _optional(draw, body, "store", st.booleans())
    return body


def _null_paths(value: Any, path: str = "$") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _null_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in _null_paths(item, f"{path}[{index}]")
        ]
    return []


def _check(request: dict[str, Any], client: ClientApi) -> None:
    body = json.dumps(request).encode()
    for upstream in TARGETS[client]:
        try:
            out = prepare_upstream_request(
                body, client, upstream, provider=UPSTREAMS[upstream], model="target"
            )
        except UnsupportedConversionError:
            continue
        assert _null_paths(json.loads(out)) == [], upstream


@SETTINGS
@given(chat_requests())
def test_translated_chat_requests_have_no_null(request: dict[str, Any]) -> None:
    _check(request, ClientApi.CHAT)


@SETTINGS
@given(messages_requests())
def test_translated_messages_requests_have_no_null(request: dict[str, Any]) -> None:
    _check(request, ClientApi.MESSAGES)


@SETTINGS
@given(responses_requests())
def test_translated_responses_requests_have_no_null(request: dict[str, Any]) -> None:
    _check(request, ClientApi.RESPONSES)
