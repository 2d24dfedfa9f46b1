"""End to end through brightstaff's real `/function_calling` (native-tools backend on the
default model): fake upstream ← llm_gateway ← brightstaff, and the prompt gateway calling both,
all started from one config."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from plano_testkit import Reply, ToolCall, free_port, run_service


def _config(fakes: Any, gateway_port: int, prompt_port: int) -> str:
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {free_port()}
  - type: prompt
    name: prompt_listener
    address: 127.0.0.1
    port: {prompt_port}
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
  weather_forecast_service:
    endpoint: 127.0.0.1:{fakes.api.port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-mini
    base_url: {fakes.llm.url}
    default: true
system_prompt: You are a helpful assistant.
prompt_targets:
  - name: get_current_weather
    description: Get current weather at a location.
    parameters:
      - name: location
        description: The location to get the weather for
        required: true
        type: string
      - name: days
        description: the number of days for the request
        required: true
        type: string
    endpoint:
      name: weather_forecast_service
      path: /weather
      http_method: POST
"""


def test_tool_call_and_no_intent_through_brightstaff(
    fakes: Any, gateway_starter: Callable[..., Any]
) -> None:
    gateway_port, prompt_port = free_port(), free_port()
    config = _config(fakes, gateway_port, prompt_port)
    quiet: dict[str, str | None] = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": None}
    bs_env = {**quiet, "PLANO_METRICS_PORT": str(free_port())}
    with (
        run_service("llm_gateway", config, port=gateway_port, env=quiet),
        run_service("brightstaff", config, env=bs_env) as brightstaff,
        gateway_starter(
            fakes,
            config=config,
            prompt_port=prompt_port,
            env={
                "PLANO_FUNCTION_CALLING_URL": f"{brightstaff.url}/function_calling",
                "LLM_PROVIDER_ENDPOINT": None,
            },
        ) as prompt,
    ):
        arguments = {"location": "Seattle, WA", "days": "2"}
        fakes.llm.enqueue(
            Reply(text="", tool_calls=[ToolCall(name="get_current_weather", arguments=arguments)]),
            Reply(text="Seattle: mild for 2 days."),
        )
        fakes.api.respond("/weather", 200, [{"date": "2024-12-12", "max": 90}])
        client = prompt.sdk()
        ask = [{"role": "user", "content": "how is the weather in seattle for next 2 days"}]
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        assert completion.choices[0].message.content == "Seattle: mild for 2 days."
        state = json.loads(completion.model_dump()["metadata"]["x-arch-state"])
        messages = json.loads(state["messages"])
        assert len(messages) == 2
        call = messages[0]["tool_calls"][0]["function"]
        assert json.loads(call["arguments"]) == arguments
        assert json.loads(fakes.api.received[0].body) == arguments
        # The function-calling model saw the target as a tool.
        offered = fakes.llm.requests[0].json["tools"]
        assert "get_current_weather" in json.dumps(offered)
        # No intent: the LLM answers with the system prompt.
        fakes.llm.enqueue(Reply(text="Hello!"), Reply(text="Hi, how can I help?"))
        hello = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
        )
        assert hello.choices[0].message.content == "Hi, how can I help?"
        assert fakes.llm.requests[-1].json["messages"][0]["role"] == "system"
