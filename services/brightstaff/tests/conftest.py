"""Fixtures of the brightstaff tests: the real chain as a user runs it.

A fake upstream (background thread), then `llm_gateway` and `brightstaff` as processes started
from one config; clients talk to brightstaff's model listener.
"""

from __future__ import annotations

import contextlib
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import anthropic
import openai
import pytest

from plano_testkit import FakeUpstream, RunningService, free_port, run_service


@dataclass
class Chain:
    """A running fake → llm_gateway → brightstaff chain."""

    fake: FakeUpstream
    gateway: RunningService
    brightstaff: RunningService
    model_url: str
    metrics_url: str
    config: str

    def openai_sdk(self, api_key: str = "sk-client") -> openai.OpenAI:
        """An OpenAI SDK client of the model listener (no retries)."""
        return openai.OpenAI(base_url=f"{self.model_url}/v1", api_key=api_key, max_retries=0)

    def anthropic_sdk(self, api_key: str = "sk-client") -> anthropic.Anthropic:
        """An Anthropic SDK client of the model listener (no retries)."""
        return anthropic.Anthropic(base_url=self.model_url, api_key=api_key, max_retries=0)

    def metrics_text(self) -> str:
        """The Prometheus exposition of brightstaff's metrics port."""
        with urllib.request.urlopen(f"{self.metrics_url}/metrics", timeout=5) as response:
            return str(response.read().decode())

    def wait_metrics(self, text: str, timeout: float = 5.0) -> str:
        """Poll /metrics until it contains `text` (metrics are updated after the response)."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.metrics_text()
            if text in current or time.monotonic() >= deadline:
                return current
            time.sleep(0.05)


def chain_config(fake_url: str, model_port: int, gateway_port: int, extra: str = "") -> str:
    """One config for both services: providers at the fake, the model listener, the egress."""
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
    timeout: 30s
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-openai-mini
    base_url: {fake_url}
    default: true
  - model: openai/gpt-4o
    access_key: sk-openai-4o
    base_url: {fake_url}
  - model: anthropic/claude-sonnet-4-5
    access_key: sk-ant-upstream
    base_url: {fake_url}
  - model: openai/gpt-4.1
    passthrough_auth: true
    base_url: {fake_url}
  - model: mistral/*
    access_key: sk-mistral
    base_url: {fake_url}
model_aliases:
  fast:
    target: gpt-4o-mini
  smart:
    target: anthropic/claude-sonnet-4-5
{extra}"""


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[FakeUpstream]:
    """A fake upstream speaking every provider's wire format (one per test module)."""
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_fake_upstream(request: pytest.FixtureRequest) -> None:
    """Tests that use the fake upstream start with no queued replies and no recorded requests."""
    if "fake_upstream" in request.fixturenames:
        request.getfixturevalue("fake_upstream").reset()


@contextlib.contextmanager
def start_chain(
    fake: FakeUpstream, extra: str = "", env: Mapping[str, str | None] | None = None
) -> Iterator[Chain]:
    """Start llm_gateway and brightstaff from one config; stop both on exit."""
    model_port, gateway_port, metrics_port = free_port(), free_port(), free_port()
    config = chain_config(fake.url, model_port, gateway_port, extra)
    quiet = {"PLANO_ACCESS_LOG": "stderr", "PLANO_METRICS_PORT": None}
    with run_service("llm_gateway", config, port=gateway_port, env=quiet) as gateway:
        bs_env: dict[str, str | None] = {**quiet, "PLANO_METRICS_PORT": str(metrics_port)}
        bs_env.update(env or {})
        with run_service("brightstaff", config, env=bs_env) as brightstaff:
            yield Chain(
                fake=fake,
                gateway=gateway,
                brightstaff=brightstaff,
                model_url=f"http://127.0.0.1:{model_port}",
                metrics_url=f"http://127.0.0.1:{metrics_port}",
                config=config,
            )


@pytest.fixture(scope="module")
def chain(fake_upstream: FakeUpstream) -> Iterator[Chain]:
    """The chain with the default config (one per test module)."""
    with start_chain(fake_upstream) as running:
        yield running


@pytest.fixture(scope="session")
def chain_starter() -> Callable[..., contextlib.AbstractContextManager[Chain]]:
    """`start_chain`, for tests that need their own config or environment."""
    return start_chain
