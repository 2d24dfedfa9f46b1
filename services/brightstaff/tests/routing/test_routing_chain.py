"""Routing end to end: SDK → brightstaff → llm_gateway → fake upstream, with the fake
orchestrator behind the egress and the routing API on the internal port."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import urllib.request
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit import FakeUpstream, RunningService, free_port, run_service
from plano_testkit.orchestrator import FakeOrchestrator

CODE = "please write a python function for fibonacci code"
IMAGE = "draw pictures of a cat"


def chain_config(
    fake: str, orchestrator: str, model_port: int, gateway_port: int, extra: str = ""
) -> str:
    return f"""version: v0.4.0
listeners:
  - {{type: model, name: model_listener, address: 127.0.0.1, port: {model_port}, timeout: 30s}}
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
  - {{model: openai/gpt-4o-mini, access_key: sk-a, base_url: "{fake}", default: true}}
  - {{model: openai/gpt-4o, access_key: sk-b, base_url: "{fake}"}}
  - {{model: anthropic/claude-sonnet-4-5, access_key: sk-c, base_url: "{fake}"}}
  - {{model: openai/Plano-Orchestrator, access_key: sk-o, base_url: "{orchestrator}"}}
model_aliases:
  fast: {{target: gpt-4o-mini}}
routing_preferences:
  - name: code generation
    description: writing new code snippets functions or boilerplate
    models: [openai/gpt-4o]
  - name: image generation
    description: drawing pictures images and illustrations
    models: [anthropic/claude-sonnet-4-5, openai/gpt-4o]
{extra}"""


class RoutingChain:
    """A running llm_gateway and one or more brightstaff replicas."""

    def __init__(self, fake: FakeUpstream, orchestrator: FakeOrchestrator) -> None:
        self.fake = fake
        self.orchestrator = orchestrator
        self.gateway_port = free_port()
        self.replicas: list[tuple[RunningService, str]] = []

    def config(self, model_port: int, extra: str) -> str:
        return chain_config(
            self.fake.url, self.orchestrator.url, model_port, self.gateway_port, extra
        )

    def openai_sdk(self, replica: int = 0) -> openai.OpenAI:
        base = self.replicas[replica][1]
        return openai.OpenAI(base_url=f"{base}/v1", api_key="sk-client", max_retries=0)

    def anthropic_sdk(self, replica: int = 0) -> anthropic.Anthropic:
        base = self.replicas[replica][1]
        return anthropic.Anthropic(base_url=base, api_key="sk-client", max_retries=0)

    def decide(
        self,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        replica: int = 0,
    ) -> dict[str, Any]:
        """Ask the routing API of a replica."""
        request = urllib.request.Request(
            f"{self.replicas[replica][0].url}/routing/v1/{path}",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", **(headers or {})},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def upstream_model(self) -> str:
        """The model the fake upstream was last asked for."""
        return str(self.fake.last_request.json["model"])


@contextlib.contextmanager
def start(
    fake: FakeUpstream, orchestrator: FakeOrchestrator, extra: str = "", replicas: int = 1
) -> Iterator[RoutingChain]:
    chain = RoutingChain(fake, orchestrator)
    quiet: dict[str, str | None] = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": None}
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            run_service(
                "llm_gateway", chain.config(free_port(), extra), port=chain.gateway_port, env=quiet
            )
        )
        for _ in range(replicas):
            model_port = free_port()
            env = {**quiet, "PLANO_METRICS_PORT": str(free_port())}
            service = stack.enter_context(
                run_service("brightstaff", chain.config(model_port, extra), env=env)
            )
            chain.replicas.append((service, f"http://127.0.0.1:{model_port}"))
        yield chain


@pytest.fixture(scope="module")
def fake_orchestrator() -> Iterator[FakeOrchestrator]:
    with FakeOrchestrator(delay=8.0) as running:
        yield running


@pytest.fixture(scope="module")
def routed(
    fake_upstream: FakeUpstream, fake_orchestrator: FakeOrchestrator
) -> Iterator[RoutingChain]:
    with start(fake_upstream, fake_orchestrator, "routing: {orchestrator_timeout: 2s}") as chain:
        yield chain


@pytest.fixture(autouse=True)
def _route_mode(fake_orchestrator: FakeOrchestrator) -> None:
    fake_orchestrator.mode = "route"


def test_the_sdk_is_served_by_the_routed_model(routed: RoutingChain) -> None:
    client = routed.openai_sdk()
    for text, model in ((CODE, "gpt-4o"), (IMAGE, "claude-sonnet-4-5"), ("hi", "gpt-4o-mini")):
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
        )
        assert reply.choices[0].message.content
        assert routed.upstream_model() == model
    message = routed.anthropic_sdk().messages.create(
        model="fast", max_tokens=16, messages=[{"role": "user", "content": CODE}]
    )
    assert message.content
    assert routed.upstream_model() == "gpt-4o"


@pytest.mark.parametrize("mode", ["empty", "unknown", "malformed", "slow", "error"])
def test_orchestrator_failures_serve_the_requested_model(
    routed: RoutingChain, fake_orchestrator: FakeOrchestrator, mode: Any
) -> None:
    fake_orchestrator.mode = mode
    reply = routed.openai_sdk().chat.completions.create(
        model="anthropic/claude-sonnet-4-5", messages=[{"role": "user", "content": CODE}]
    )
    assert reply.choices[0].message.content
    assert routed.upstream_model() == "claude-sonnet-4-5"
    decision = routed.decide(
        "chat/completions",
        {"model": "anthropic/claude-sonnet-4-5", "messages": [{"role": "user", "content": CODE}]},
    )
    assert decision["models"] == ["anthropic/claude-sonnet-4-5"]
    assert decision["route"] is None


def test_the_routing_api_answers_the_decision(routed: RoutingChain) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": IMAGE}]}
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    answer = routed.decide("chat/completions", body, {"traceparent": traceparent})
    assert answer == {
        "models": ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"],
        "route": "image generation",
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "pinned": False,
        "switched": False,
    }
    pinned = routed.decide("chat/completions", body, {"x-model-affinity": "api-session"})
    assert pinned["session_id"] == "api-session"
    again = routed.decide(
        "chat/completions",
        {**body, "messages": [{"role": "user", "content": CODE}]},
        {"x-model-affinity": "api-session"},
    )
    assert (again["models"][0], again["pinned"], again["switched"]) == (
        "anthropic/claude-sonnet-4-5",
        True,
        False,
    )


def _bare(model: str) -> str:
    return model.split("/", 1)[-1]


def test_the_routing_api_and_the_llm_path_agree_on_200_requests(routed: RoutingChain) -> None:
    rng = random.Random(11)
    words = ["python function code", "draw pictures", "images illustrations", "hello", "weather"]
    models = ["gpt-4o-mini", "fast", "openai/gpt-4o", "anthropic/claude-sonnet-4-5"]
    chat, messages = routed.openai_sdk(), routed.anthropic_sdk()
    for index in range(200):
        text = " ".join(rng.sample(words, rng.randint(1, 2))) + f" #{index}"
        model = rng.choice(models)
        conversation = [{"role": "user", "content": text}]
        if index % 3 == 0:
            decision = routed.decide("chat/completions", {"model": model, "messages": conversation})
            chat.chat.completions.create(model=model, messages=conversation)  # type: ignore[arg-type]
        elif index % 3 == 1:
            body = {"model": model, "max_tokens": 8, "messages": conversation}
            decision = routed.decide("messages", body)
            messages.messages.create(**body)  # type: ignore[arg-type]
        else:
            decision = routed.decide("responses", {"model": model, "input": text})
            chat.responses.create(model=model, input=text)
        expected = "gpt-4o-mini" if decision["models"][0] == "fast" else decision["models"][0]
        assert routed.upstream_model() == _bare(expected), (index, text, model, decision)


def test_replicas_sharing_redis_agree_and_redis_down_still_serves(
    fake_upstream: FakeUpstream,
    fake_orchestrator: FakeOrchestrator,
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = private_redis
    extra = f"routing: {{session_cache: {{type: redis, url: '{url}'}}}}"
    with start(fake_upstream, fake_orchestrator, extra, replicas=2) as chain:
        session = {"x-model-affinity": "conversation-7"}
        first = chain.openai_sdk(0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": CODE}], extra_headers=session
        )
        assert first.choices[0].message.content
        assert chain.upstream_model() == "gpt-4o"
        asked = len(fake_orchestrator.prompts)
        for turn in range(20):
            replica = turn % 2
            chain.openai_sdk(replica).chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"{IMAGE} {turn}"}],
                extra_headers=session,
            )
            assert chain.upstream_model() == "gpt-4o"
        assert len(fake_orchestrator.prompts) == asked
        decision = chain.decide(
            "chat/completions",
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": IMAGE}]},
            session,
            replica=1,
        )
        assert (decision["models"][0], decision["pinned"]) == ("openai/gpt-4o", True)
        process.terminate()
        process.wait(10)
        for replica in (0, 1):
            reply = chain.openai_sdk(replica).chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": IMAGE}],
                extra_headers=session,
            )
            assert reply.choices[0].message.content
            assert chain.upstream_model() == "claude-sonnet-4-5"
