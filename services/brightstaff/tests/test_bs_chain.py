"""The model listener end to end: official SDKs → brightstaff → llm_gateway → fake upstream."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit.raw_client import post
from plano_testkit.reply import Reply, ToolCall

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
USER = [{"role": "user", "content": "hi"}]


def test_chat_alias_resolves_and_provider_key_replaces_the_clients(chain: Any) -> None:
    chain.fake.enqueue(Reply(text="from the fake"))
    with chain.openai_sdk() as sdk:
        completion = sdk.chat.completions.create(model="fast", messages=USER)
    assert completion.choices[0].message.content == "from the fake"
    seen = chain.fake.last_request
    assert seen.path == "/v1/chat/completions"
    assert seen.json["model"] == "gpt-4o-mini"
    assert seen.headers["authorization"] == "Bearer sk-openai-mini"


def test_chat_stream_arrives_chunk_by_chunk(chain: Any) -> None:
    chain.fake.enqueue(Reply(text="one two three four", chunk_gap=0.01))
    with chain.openai_sdk() as sdk:
        stream = sdk.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
        deltas = [
            c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content
        ]
    assert "".join(deltas) == "one two three four"
    assert len(deltas) > 1
    assert chain.fake.last_request.json["stream"] is True


def test_messages_alias_to_anthropic_streaming_and_not(chain: Any) -> None:
    chain.fake.enqueue(Reply(text="bonjour"), Reply(text="au revoir"))
    with chain.anthropic_sdk() as sdk:
        message = sdk.messages.create(model="smart", max_tokens=50, messages=USER)
        with sdk.messages.stream(model="smart", max_tokens=50, messages=USER) as stream:
            streamed = "".join(stream.text_stream)
    assert message.content[0].type == "text" and message.content[0].text == "bonjour"
    assert streamed == "au revoir"
    seen = chain.fake.last_request
    assert seen.path == "/v1/messages"
    assert seen.json["model"] == "claude-sonnet-4-5"
    assert seen.headers["x-api-key"] == "sk-ant-upstream"


def test_anthropic_client_reaches_an_openai_model(chain: Any) -> None:
    chain.fake.enqueue(Reply(text="translated"))
    with chain.anthropic_sdk() as sdk:
        message = sdk.messages.create(model="fast", max_tokens=50, messages=USER)
    assert message.content[0].type == "text" and message.content[0].text == "translated"
    assert chain.fake.last_request.path == "/v1/chat/completions"


def test_responses_api_streaming_and_not(chain: Any) -> None:
    chain.fake.enqueue(Reply(text="a response"), Reply(text="a streamed response"))
    with chain.openai_sdk() as sdk:
        response = sdk.responses.create(model="gpt-4o", input="hello")
        events = list(sdk.responses.create(model="gpt-4o", input="hello", stream=True))
    assert response.output_text == "a response"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "a streamed response"
    assert events[-1].type == "response.completed"
    assert chain.fake.last_request.path == "/v1/responses"


def test_tool_calls_come_back_streaming_and_not(chain: Any) -> None:
    call = ToolCall(name="get_weather", arguments={"city": "Paris"})
    chain.fake.enqueue(Reply(tool_calls=[call]), Reply(tool_calls=[call]))
    with chain.openai_sdk() as sdk:
        completion = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=USER, tools=[WEATHER_TOOL]
        )
        stream = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=USER, tools=[WEATHER_TOOL], stream=True
        )
        arguments = "".join(
            tool.function.arguments or ""
            for chunk in stream
            if chunk.choices and chunk.choices[0].delta.tool_calls
            for tool in chunk.choices[0].delta.tool_calls
            if tool.function is not None
        )
    tool_calls = completion.choices[0].message.tool_calls
    assert tool_calls is not None and tool_calls[0].function.name == "get_weather"
    assert json.loads(tool_calls[0].function.arguments) == {"city": "Paris"}
    assert json.loads(arguments) == {"city": "Paris"}
    assert chain.fake.last_request.json["tools"][0]["function"]["name"] == "get_weather"


def test_anthropic_tools(chain: Any) -> None:
    chain.fake.enqueue(Reply(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Rome"})]))
    tool = {
        "name": "get_weather",
        "description": "Weather of a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    with chain.anthropic_sdk() as sdk:
        message = sdk.messages.create(model="smart", max_tokens=50, messages=USER, tools=[tool])
    block = message.content[-1]
    assert block.type == "tool_use" and block.input == {"city": "Rome"}


def test_wildcard_model_reaches_its_provider_through_the_hint(chain: Any) -> None:
    chain.fake.enqueue(Reply(text="custom"))
    with chain.openai_sdk() as sdk:
        completion = sdk.chat.completions.create(model="mistral/my-fine-tune-7", messages=USER)
    assert completion.choices[0].message.content == "custom"
    seen = chain.fake.last_request
    assert seen.json["model"] == "my-fine-tune-7"
    assert seen.headers["authorization"] == "Bearer sk-mistral"
    chain.gateway.wait_for_log('"provider":"mistral/my-fine-tune-7"')


def test_client_key_reaches_only_a_passthrough_provider(chain: Any) -> None:
    with chain.openai_sdk(api_key="sk-client-own") as sdk:
        sdk.chat.completions.create(model="gpt-4.1", messages=USER)
        passthrough = chain.fake.last_request.headers["authorization"]
        sdk.chat.completions.create(model="gpt-4o", messages=USER)
        configured = chain.fake.last_request.headers["authorization"]
    assert passthrough == "Bearer sk-client-own"
    assert configured == "Bearer sk-openai-4o"


def test_inline_routing_preferences_and_routing_metadata_are_removed(chain: Any) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": USER,
        "metadata": {"plano_preference_config": "x", "keep": "y"},
        "routing_preferences": [
            {"name": "code", "description": "writing code", "models": ["openai/gpt-4o"]}
        ],
    }
    response = post(f"{chain.model_url}/v1/chat/completions", body)
    assert response.status == 200
    forwarded = chain.fake.last_request.json
    assert "routing_preferences" not in forwarded
    assert forwarded["metadata"] == {"keep": "y"}


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (openai.RateLimitError, 429, "slow down please"),
        (openai.BadRequestError, 400, "your prompt is odd"),
        (openai.InternalServerError, 503, "upstream overloaded"),
    ],
)
def test_upstream_errors_reach_the_openai_sdk(
    chain: Any, error: type[openai.APIStatusError], status: int, message: str
) -> None:
    chain.fake.enqueue(Reply.error(status, message))
    with chain.openai_sdk() as sdk, pytest.raises(error) as raised:
        sdk.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert raised.value.status_code == status
    assert message in str(raised.value)


def test_upstream_errors_reach_the_anthropic_sdk(chain: Any) -> None:
    chain.fake.enqueue(Reply.error(429, "too many tokens"))
    with chain.anthropic_sdk() as sdk, pytest.raises(anthropic.RateLimitError) as raised:
        sdk.messages.create(model="smart", max_tokens=10, messages=USER)
    assert "too many tokens" in str(raised.value)


def test_unknown_model_is_404_naming_it_in_each_dialect(chain: Any) -> None:
    with chain.openai_sdk() as sdk, pytest.raises(openai.NotFoundError) as raised:
        sdk.chat.completions.create(model="no-such-model", messages=USER)
    assert "Model 'no-such-model' not found" in str(raised.value)
    with chain.anthropic_sdk() as sdk, pytest.raises(anthropic.NotFoundError) as raised_a:
        sdk.messages.create(model="no-such-model", max_tokens=10, messages=USER)
    assert raised_a.value.body["type"] == "error"  # type: ignore[index]
    assert "no-such-model" in str(raised_a.value)
    assert not chain.fake.requests


def test_malformed_json_is_400_in_the_clients_dialect(chain: Any) -> None:
    chat = post(f"{chain.model_url}/v1/chat/completions", b"{not json")
    messages = post(f"{chain.model_url}/v1/messages", b"[1, 2]")
    assert chat.status == 400 and chat.json()["error"]["type"] == "invalid_request_error"
    assert messages.status == 400 and messages.json()["type"] == "error"
    assert not chain.fake.requests


def test_hostile_model_name_is_refused_and_never_a_label(chain: Any) -> None:
    long_name = "m" * 5000
    response = post(
        f"{chain.model_url}/v1/chat/completions", {"model": long_name, "messages": USER}
    )
    assert response.status == 400
    assert long_name not in response.body.decode()
    assert "mmmmmmmm" not in chain.metrics_text()


def test_request_id_and_traceparent_reach_the_upstream(chain: Any) -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    headers = {"x-request-id": "req-abc-123", "traceparent": traceparent}
    response = post(
        f"{chain.model_url}/v1/chat/completions", {"model": "fast", "messages": USER}, headers
    )
    assert response.status == 200
    assert response.headers["x-request-id"] == "req-abc-123"
    seen = chain.fake.last_request.headers
    assert seen["x-request-id"] == "req-abc-123"
    assert seen["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


def test_models_listing_with_cors(chain: Any) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{chain.model_url}/v1/models", timeout=5) as response:
        listing = json.loads(response.read())
        allow_origin = response.headers["access-control-allow-origin"]
    ids = {item["id"] for item in listing["data"]}
    assert {"openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5"} <= ids
    assert allow_origin == "*"
    request = urllib.request.Request(f"{chain.model_url}/v1/models", method="OPTIONS")
    with urllib.request.urlopen(request, timeout=5) as preflight:
        assert preflight.status == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
    with urllib.request.urlopen(f"{chain.brightstaff.url}/v1/models", timeout=5) as internal:
        assert json.loads(internal.read()) == listing


def test_internal_port_serves_the_llm_path_too(chain: Any) -> None:
    response = post(
        f"{chain.brightstaff.url}/v1/chat/completions", {"model": "fast", "messages": USER}
    )
    assert response.status == 200


def test_metrics_and_access_log(chain: Any) -> None:
    with chain.openai_sdk() as sdk:
        sdk.chat.completions.create(model="fast", messages=USER)
        sdk.chat.completions.create(model="mistral/another-custom", messages=USER)
    text = chain.wait_metrics('provider="mistral/*"')
    assert (
        'brightstaff_http_requests_total{handler="llm_chat",method="POST",status_class="2xx"}'
        in text
    )
    assert (
        'brightstaff_llm_upstream_requests_total{error_class="none",model="gpt-4o-mini",'
        'provider="openai/gpt-4o-mini",status_class="2xx"}'
    ) in text
    assert 'brightstaff_llm_tokens_total{kind="prompt",model="gpt-4o-mini"' in text
    assert "another-custom" not in text
    logs = chain.brightstaff.wait_for_log('"requested_model":"fast"')
    line = next(json.loads(x) for x in logs.splitlines() if '"requested_model":"fast"' in x)
    assert line["status"] == 200 and line["listener"] == "model_listener"
    assert line["model"] == "gpt-4o-mini" and line["provider"] == "openai/gpt-4o-mini"
