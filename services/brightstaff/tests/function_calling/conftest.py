"""Fixtures of the function-calling tests: a fake Arch-Function model and the fake upstream
behind a real llm_gateway, and brightstaff started from one config."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from plano_testkit import FakeUpstream, RunningService, free_port, run_service
from plano_testkit.arch_function import FakeArchFunction

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name."},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Local time in a timezone.",
        "parameters": {
            "type": "object",
            "properties": {"tz": {"type": "string"}, "hours": {"type": "number"}},
            "required": ["tz"],
        },
    },
}
TOOLS = [WEATHER_TOOL, TIME_TOOL]


@dataclass
class FcChain:
    """llm_gateway and brightstaff; `ask` calls ``/function_calling`` with the OpenAI SDK."""

    gateway: RunningService
    brightstaff: RunningService

    def client(self) -> openai.OpenAI:
        """An OpenAI SDK client of brightstaff's internal API (no retries)."""
        return openai.OpenAI(base_url=self.brightstaff.url, api_key="unused", max_retries=0)

    def post(self, body: Any) -> Any:
        """POST a JSON body to ``/function_calling``; the decoded answer (raises
        `openai.APIStatusError` on 4xx/5xx)."""
        return self.client().post("/function_calling", cast_to=object, body=body)

    def ask(self, messages: list[dict[str, Any]], tools: Any = TOOLS, **extra: Any) -> Any:
        """A function-calling request."""
        return self.post({"messages": messages, "tools": tools, **extra})

    def post_raw(self, data: bytes) -> tuple[int, Any]:
        """POST raw bytes; (status, decoded JSON body)."""
        request = urllib.request.Request(
            f"{self.brightstaff.url}/function_calling",
            data=data,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


def fc_config(gateway_port: int, model_port: int, providers: str) -> str:
    """A config with one model listener, the egress and the given providers."""
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
{providers}
"""


@contextlib.contextmanager
def start_fc_chain(
    providers: str, env: Mapping[str, str | None] | None = None
) -> Iterator[FcChain]:
    """Start llm_gateway and brightstaff from one config."""
    gateway_port = free_port()
    config = fc_config(gateway_port, free_port(), providers)
    quiet: dict[str, str | None] = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": None}
    with run_service("llm_gateway", config, port=gateway_port, env=quiet) as gateway:
        bs_env = {**quiet, "PLANO_METRICS_PORT": str(free_port()), **(env or {})}
        with run_service("brightstaff", config, env=bs_env) as brightstaff:
            yield FcChain(gateway, brightstaff)


@pytest.fixture(scope="module")
def fake_arch() -> Iterator[FakeArchFunction]:
    """The fake Arch-Function model (one per test module)."""
    with FakeArchFunction() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_fake_arch(request: pytest.FixtureRequest) -> None:
    if "fake_arch" in request.fixturenames:
        request.getfixturevalue("fake_arch").reset()


@pytest.fixture(scope="module")
def arch_chain(fake_arch: FakeArchFunction, fake_upstream: FakeUpstream) -> Iterator[FcChain]:
    """The chain with an ``arch-function`` provider at the fake model (the arch backend)."""
    providers = f"""  - model: openai/gpt-4o-mini
    access_key: sk-mini
    base_url: {fake_upstream.url}
    default: true
  - name: arch-function
    model: openai/Arch-Function
    access_key: sk-arch
    base_url: {fake_arch.url}
"""
    with start_fc_chain(providers) as chain:
        yield chain


@pytest.fixture(scope="module")
def native_chain(fake_upstream: FakeUpstream) -> Iterator[FcChain]:
    """The chain of a user without an Arch-Function endpoint (native tools, default model)."""
    providers = f"""  - model: openai/gpt-4o-mini
    access_key: sk-mini
    base_url: {fake_upstream.url}
    default: true
  - model: openai/gpt-4o
    access_key: sk-4o
    base_url: {fake_upstream.url}
"""
    with start_fc_chain(providers) as chain:
        yield chain
