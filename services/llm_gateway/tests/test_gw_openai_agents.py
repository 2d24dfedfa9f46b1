"""The OpenAI Agents SDK (openai-agents) through the gateway, offline: a tool-calling agent on
Chat Completions and on Responses, and a structured-output agent on Bedrock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pydantic
import pytest
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
    set_tracing_disabled,
)

from hermesllm.translate.structured_output import OUTPUT_TOOL_NAME
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply, ToolCall

CLAUDE = "anthropic/claude-sonnet-4-20250514"
GPT = "openai/gpt-4o"
BEDROCK = "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0"
PROVIDERS = {CLAUDE: "sk-anthropic", GPT: "sk-openai", BEDROCK: "bedrock-api-key"}
OFFLINE = RunConfig(tracing_disabled=True)


@function_tool
def get_weather(city: str) -> str:
    """The weather of a city."""
    return f"Sunny in {city}"


class Forecast(pydantic.BaseModel):
    city: str
    summary: str


@pytest.fixture(scope="module")
def gateway_url(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> Iterator[str]:
    set_tracing_disabled(True)
    gateway = start_gateway(gateway_config(fake_upstream.url, PROVIDERS, default=GPT))
    yield f"{gateway.url}/v1"
    set_tracing_disabled(False)


def client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url, api_key="agent-key", max_retries=0)


def weather_turns(fake: FakeUpstream) -> None:
    fake.enqueue(
        Reply(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})]),
        Reply(text="It is sunny in Paris."),
    )


@pytest.mark.parametrize("model", [CLAUDE, BEDROCK, GPT])
def test_tool_agent_on_chat_completions(
    gateway_url: str, fake_upstream: FakeUpstream, model: str
) -> None:
    weather_turns(fake_upstream)
    agent = Agent(
        name="weather",
        instructions="Answer with the weather tool.",
        model=OpenAIChatCompletionsModel(model=model, openai_client=client(gateway_url)),
        tools=[get_weather],
    )
    result = Runner.run_sync(agent, "Weather in Paris?", run_config=OFFLINE)
    assert result.final_output == "It is sunny in Paris."
    assert len(fake_upstream.requests) == 2
    assert "Sunny in Paris" in fake_upstream.requests[1].body.decode()


@pytest.mark.parametrize("model", [CLAUDE, GPT])
def test_tool_agent_on_responses(gateway_url: str, fake_upstream: FakeUpstream, model: str) -> None:
    weather_turns(fake_upstream)
    agent = Agent(
        name="weather",
        instructions="Answer with the weather tool.",
        model=OpenAIResponsesModel(model=model, openai_client=client(gateway_url)),
        tools=[get_weather],
    )
    result = Runner.run_sync(agent, "Weather in Paris?", run_config=OFFLINE)
    assert result.final_output == "It is sunny in Paris."
    assert "Sunny in Paris" in fake_upstream.requests[1].body.decode()


@pytest.mark.parametrize("responses", [False, True])
def test_structured_output_agent_on_bedrock(
    gateway_url: str, fake_upstream: FakeUpstream, responses: bool
) -> None:
    answer = {"city": "Paris", "summary": "sunny"}
    fake_upstream.enqueue(Reply(tool_calls=[ToolCall(name=OUTPUT_TOOL_NAME, arguments=answer)]))
    model_class = OpenAIResponsesModel if responses else OpenAIChatCompletionsModel
    agent = Agent(
        name="forecaster",
        instructions="Give the forecast.",
        model=model_class(model=BEDROCK, openai_client=client(gateway_url)),
        output_type=Forecast,
    )
    result = Runner.run_sync(agent, "Forecast for Paris?", run_config=OFFLINE)
    assert result.final_output == Forecast(**answer)
    sent = fake_upstream.last_request.json
    assert sent["toolConfig"]["toolChoice"] == {"tool": {"name": OUTPUT_TOOL_NAME}}
