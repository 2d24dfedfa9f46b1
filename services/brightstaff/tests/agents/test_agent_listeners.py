"""Agent listeners end to end: SDK clients → brightstaff → fake agents (own processes), the
fake orchestrator choosing the chain, an MCP input filter on one agent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit import RunningService, free_port, run_service
from plano_testkit.orchestrator import FakeOrchestrator
from plano_testkit.processes import Helper, fake_agent, filter_server
from plano_testkit.raw_client import post


@dataclass
class Agents:
    orchestrator: FakeOrchestrator
    brightstaff: RunningService
    agents: dict[str, Helper]
    ports: dict[str, int]

    def sdk(self, listener: str) -> openai.OpenAI:
        url = f"http://127.0.0.1:{self.ports[listener]}/v1"
        return openai.OpenAI(base_url=url, api_key="k", max_retries=0)

    def seen(self, agent: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.agents[agent].get_json("/requests")
        return found


def config(ports: dict[str, int], agents: dict[str, Helper], filters_url: str) -> str:
    return f"""version: v0.4.0
listeners:
  - {{type: model, name: llm, address: 127.0.0.1, port: {ports["llm"]}}}
  - type: agent
    name: travel
    address: 127.0.0.1
    port: {ports["travel"]}
    agents:
      - {{id: flights, description: book flights and airline tickets}}
      - {{id: hotels, description: reserve hotel rooms, input_filters: [rag]}}
      - {{id: weather, description: forecast of rain and sun, default: true}}
  - type: agent
    name: solo
    address: 127.0.0.1
    port: {ports["solo"]}
    agents: [{{id: weather, description: forecast}}]
  - type: agent
    name: broken
    address: 127.0.0.1
    port: {ports["broken"]}
    agents: [{{id: down, description: nothing}}]
agents:
  - {{id: flights, url: "{agents["flights"].url}"}}
  - {{id: hotels, url: "{agents["hotels"].url}"}}
  - {{id: weather, url: "{agents["weather"].url}"}}
  - {{id: down, url: "http://127.0.0.1:{free_port()}"}}
filters:
  - {{id: rag, url: "{filters_url}"}}
model_providers:
  - {{model: openai/gpt-4o-mini, access_key: k, default: true}}
"""


@pytest.fixture(scope="module")
def setup() -> Iterator[Agents]:
    with (
        FakeOrchestrator(mode="chain") as orchestrator,
        fake_agent("flights") as flights,
        fake_agent("hotels") as hotels,
        fake_agent("weather") as weather,
        filter_server("sse") as filters,
    ):
        agents = {"flights": flights, "hotels": hotels, "weather": weather}
        ports = {name: free_port() for name in ("llm", "travel", "solo", "broken")}
        env = {"LLM_PROVIDER_ENDPOINT": orchestrator.url, "PLANO_METRICS_PORT": None}
        with run_service("brightstaff", config(ports, agents, filters.url), env=env) as bs:
            yield Agents(orchestrator, bs, agents, ports)


def test_orchestrated_chain_second_agent_sees_the_first_and_streams(setup: Agents) -> None:
    asked = "book flights to Rome and reserve hotel rooms there"
    with setup.sdk("travel") as sdk:
        stream = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": asked}], stream=True
        )
        deltas = [c.choices[0].delta.content for c in stream if c.choices]
    text = "".join(d or "" for d in deltas)
    assert text == "hotels answered after flights=flights answered"
    assert len([d for d in deltas if d]) > 1
    hotels = setup.seen("hotels")[-1]["messages"]
    assert hotels[0]["content"].startswith("RAG context:")
    assert hotels[-2] == {"role": "assistant", "content": "flights answered", "name": "flights"}
    assert hotels[-1] == {"role": "user", "content": asked}
    assert setup.seen("flights")[-1]["messages"] == [{"role": "user", "content": asked}]
    assert setup.seen("weather") == []
    prompt = setup.orchestrator.prompts[-1]
    assert '"name": "flights"' in prompt and asked in prompt


def test_no_orchestrator_answer_picks_the_default_agent(setup: Agents) -> None:
    with setup.sdk("travel") as sdk:
        completion = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "tell me a joke"}]
        )
    assert completion.choices[0].message.content == "weather answered"


def test_a_single_agent_listener_skips_the_orchestrator(setup: Agents) -> None:
    before = len(setup.orchestrator.prompts)
    with setup.sdk("solo") as sdk:
        completion = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "book flights"}]
        )
    assert completion.choices[0].message.content == "weather answered"
    assert len(setup.orchestrator.prompts) == before


def test_anthropic_clients_get_the_agent_reply_as_messages(setup: Agents) -> None:
    url = f"http://127.0.0.1:{setup.ports['solo']}"
    sdk = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
    with (
        sdk,
        sdk.messages.stream(
            model="gpt-4o-mini", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        text = "".join(stream.text_stream)
    assert text == "weather answered"


def test_an_agent_down_is_a_502_client_error_naming_it(setup: Agents) -> None:
    url = f"http://127.0.0.1:{setup.ports['broken']}/v1/chat/completions"
    response = post(url, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status == 502
    body = response.json()
    assert body["error"] == "ClientError" and body["agent"] == "down"
    assert body["status"] == 502 and "unreachable" in body["agent_response"]


def test_internal_port_serves_agent_listeners_by_header(setup: Agents) -> None:
    url = setup.brightstaff.url + "/agents/v1/chat/completions"
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    response = post(url, body, {"x-arch-agent-listener-name": "solo"})
    assert response.status == 200
    assert response.json()["choices"][0]["message"]["content"] == "weather answered"
    missing = post(url, body, {"x-arch-agent-listener-name": "nope"})
    assert missing.status == 404
    assert missing.json()["error"]["type"] == "AgentFilterChainError"


def test_agent_listener_lists_models(setup: Agents) -> None:
    with setup.sdk("travel") as sdk:
        models = sdk.models.list()
    assert any(m.id for m in models.data)


def test_a_request_without_messages_is_an_agent_filter_chain_error(setup: Agents) -> None:
    url = f"http://127.0.0.1:{setup.ports['solo']}/v1/chat/completions"
    response = post(url, {"model": "m", "messages": []})
    assert response.status == 400
    assert response.json()["error"]["type"] == "AgentFilterChainError"


def test_responses_clients_get_the_agent_reply_as_response_events(setup: Agents) -> None:
    with setup.sdk("solo") as sdk:
        events = list(sdk.responses.create(model="gpt-4o-mini", input="hi", stream=True))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "weather answered"
    assert events[-1].type == "response.completed"
