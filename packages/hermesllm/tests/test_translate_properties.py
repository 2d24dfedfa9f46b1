"""Property tests: Chat requests survive translation round trips; parsers raise only our errors."""

import contextlib
import json
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.error_bodies import translate_error
from hermesllm.errors import HermesError
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import prepare_upstream_request, response_usage, translate_response
from hermesllm.types import bedrock

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(min_size=1, max_size=40).filter(lambda text: text.strip() != "")
names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
json_scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
arguments = st.dictionaries(names, json_values, max_size=4)


@st.composite
def chat_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Chat request: optional system prompt, alternating turns, tool round trips."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(texts)})
    counter = 0
    for _ in range(draw(st.integers(1, 4))):
        messages.append({"role": "user", "content": draw(texts)})
        calls = []
        for _ in range(draw(st.integers(0, 3))):
            counter += 1
            call_arguments = json.dumps(draw(arguments))
            function = {"name": draw(names), "arguments": call_arguments}
            calls.append({"id": f"call_{counter}", "type": "function", "function": function})
        assistant: dict[str, Any] = {"role": "assistant"}
        if not calls or draw(st.booleans()):
            assistant["content"] = draw(texts)
        if calls:
            assistant["tool_calls"] = calls
        messages.append(assistant)
        messages.extend(
            {"role": "tool", "tool_call_id": call["id"], "content": draw(texts)} for call in calls
        )
    if messages[-1]["role"] == "assistant":
        messages.append({"role": "user", "content": draw(texts)})
    return {"model": "client-model", "messages": messages}


def _comparable(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages reduced to what must survive: roles, text, tool calls with parsed arguments."""
    result: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
        if message["role"] == "tool":
            item["tool_call_id"] = message["tool_call_id"]
        calls = message.get("tool_calls") or []
        if calls:
            item["tool_calls"] = [
                (call["id"], call["function"]["name"], json.loads(call["function"]["arguments"]))
                for call in calls
            ]
        if result and result[-1]["role"] == "user" == item["role"]:
            result[-1]["content"] += item["content"]
        else:
            result.append(item)
    return result


@SETTINGS
@given(chat_requests())
def test_chat_to_anthropic_to_chat_round_trip(request: dict[str, Any]) -> None:
    body = json.dumps(request).encode()
    anthropic = prepare_upstream_request(
        body, ClientApi.CHAT, UpstreamApi.MESSAGES, provider=ProviderId.ANTHROPIC, model="claude-m"
    )
    chat = prepare_upstream_request(
        anthropic, ClientApi.MESSAGES, UpstreamApi.CHAT, provider=ProviderId.OPENAI, model="m"
    )
    assert _comparable(json.loads(chat)["messages"]) == _comparable(request["messages"])


def _chat_from_bedrock(request: bedrock.ConverseRequest) -> list[dict[str, Any]]:
    """Read a Converse request back as Chat messages (the inverse the test checks against)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": block.text} for block in request.system or () if block.text
    ]
    for message in request.messages:
        if message.role == "assistant":
            text = "".join(block.text for block in message.content if block.text is not None)
            calls = [
                {
                    "id": block.tool_use.tool_use_id,
                    "function": {
                        "name": block.tool_use.name,
                        "arguments": json.dumps(block.tool_use.input),
                    },
                }
                for block in message.content
                if block.tool_use is not None
            ]
            messages.append({"role": "assistant", "content": text, "tool_calls": calls})
            continue
        for block in message.content:
            if block.tool_result is not None:
                content = "".join(part.text or "" for part in block.tool_result.content)
                tool_call_id = block.tool_result.tool_use_id
                messages.append({"role": "tool", "tool_call_id": tool_call_id, "content": content})
            elif block.text is not None:
                messages.append({"role": "user", "content": block.text})
    return messages


@SETTINGS
@given(chat_requests())
def test_chat_to_bedrock_to_chat_round_trip(request: dict[str, Any]) -> None:
    body = json.dumps(request).encode()
    converse = prepare_upstream_request(
        body,
        ClientApi.CHAT,
        UpstreamApi.BEDROCK_CONVERSE,
        provider=ProviderId.AMAZON_BEDROCK,
        model="anthropic.claude-m",
    )
    decoded = msgspec.json.decode(converse, type=bedrock.ConverseRequest)
    assert _comparable(_chat_from_bedrock(decoded)) == _comparable(request["messages"])


FIELD_NAMES = [
    "messages", "role", "content", "type", "text", "tool_calls", "function", "arguments", "name",
    "id", "tools", "tool_choice", "input", "system", "max_tokens", "source", "image_url", "url",
    "tool_call_id", "tool_use_id", "thinking", "signature", "stop", "instructions", "call_id",
    "output", "summary", "choices", "message", "usage", "stop_reason", "finish_reason",
    "candidates", "parts", "functionCall", "args", "stopReason", "toolUse", "toolUseId",
    "reasoningContent", "reasoningText", "usageMetadata", "response_format", "json_schema",
    "schema", "reasoning", "effort", "budget_tokens", "data", "media_type", "metadata", "error",
    "is_error", "parameters", "input_schema", "format", "status", "incomplete_details",
]  # fmt: skip
TAGS = [
    "user", "assistant", "system", "developer", "tool", "function", "text", "image_url", "image",
    "tool_use", "tool_result", "thinking", "redacted_thinking", "message", "function_call",
    "function_call_output", "reasoning", "input_text", "output_text", "input_image", "base64",
    "url", "auto", "any", "none", "required", "enabled", "json_schema", "json_object", "custom",
    "namespace", "web_search", "file_search", "data:image/png;base64,AAAA", "{\"a\": 1}", "{",
]  # fmt: skip
shaped_json = st.recursive(
    json_scalars | st.sampled_from(TAGS),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=30,
)
bodies = (
    shaped_json.map(lambda value: json.dumps(value).encode())
    | st.binary(max_size=64)
    | st.text(max_size=64).map(str.encode)
)
ALL_PROVIDERS = {
    UpstreamApi.CHAT: ProviderId.OPENAI,
    UpstreamApi.MESSAGES: ProviderId.ANTHROPIC,
    UpstreamApi.RESPONSES: ProviderId.OPENAI,
    UpstreamApi.BEDROCK_CONVERSE: ProviderId.AMAZON_BEDROCK,
    UpstreamApi.GEMINI: ProviderId.GEMINI,
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies, st.sampled_from(list(ClientApi)), st.sampled_from(list(UpstreamApi)))
def test_random_json_raises_only_typed_errors(
    body: bytes, client: ClientApi, upstream: UpstreamApi
) -> None:
    provider = ALL_PROVIDERS[upstream]
    with contextlib.suppress(HermesError):
        prepare_upstream_request(body, client, upstream, provider=provider, model="m")
    with contextlib.suppress(HermesError):
        translate_response(body, upstream, client, model="m")
    response_usage(body, upstream)
    rendered = translate_error(body, 500, upstream, client)
    assert isinstance(json.loads(rendered), dict)


GOLDEN = Path(__file__).parent / "golden"
GOLDEN_REQUESTS = [
    json.loads(path.read_text()) for path in sorted((GOLDEN / "requests").glob("*.json"))
]
GOLDEN_RESPONSES = [
    json.loads(path.read_text()) for path in sorted((GOLDEN / "responses").glob("*.json"))
]


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one subtree (chosen by walking down at random) replaced by random JSON."""
    if not isinstance(value, dict | list) or not value or draw(st.integers(0, 3)) == 0:
        return draw(shaped_json)
    copy = dict(value) if isinstance(value, dict) else list(value)
    key = (
        draw(st.sampled_from(list(copy)))
        if isinstance(copy, dict)
        else draw(st.integers(0, len(copy) - 1))
    )
    copy[key] = draw(mutated(copy[key]))  # type: ignore[index]
    return copy


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_requests_raise_only_typed_errors(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(GOLDEN_REQUESTS))
    body = json.dumps(data.draw(mutated(case["request"]))).encode()
    client = ClientApi(case["client"])
    for upstream in UpstreamApi:
        with contextlib.suppress(HermesError):
            prepare_upstream_request(
                body, client, upstream, provider=ALL_PROVIDERS[upstream], model="m"
            )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_responses_raise_only_typed_errors(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(GOLDEN_RESPONSES))
    body = json.dumps(data.draw(mutated(case["response"]))).encode()
    upstream = UpstreamApi(case["upstream"])
    response_usage(body, upstream)
    for client in ClientApi:
        with contextlib.suppress(HermesError):
            translate_response(body, upstream, client, model="m")
