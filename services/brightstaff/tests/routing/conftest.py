"""Fixtures of the routing tests: configs, requests, the fake orchestrator, a private Redis."""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
import redis
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from brightstaff.metrics import BrightstaffMetrics
from brightstaff.routing import build_router
from brightstaff.routing.router import PreferenceRouter
from brightstaff.seams import LlmRequest, StepError
from hermesllm.apis import ClientApi
from plano_common.config.loader import load_config_text
from plano_common.config.types import PlanoConfig
from plano_testkit.orchestrator import FakeOrchestrator
from plano_testkit.services import free_port

PREFERENCES = """
routing_preferences:
  - name: code generation
    description: writing new code snippets functions or boilerplate
    models: [openai/gpt-4o, anthropic/claude-sonnet-4-6]
  - name: image generation
    description: drawing pictures images and illustrations
    models: [openai/gpt-4o-mini]
"""


def config(extra: str = "", preferences: str = PREFERENCES) -> PlanoConfig:
    """A config with three models, two routing preferences and ``extra`` YAML appended."""
    text = f"""
version: v0.4.0
listeners: [{{type: model, name: llm, port: 12000}}]
model_providers:
  - model: openai/gpt-4o
    access_key: k
  - model: openai/gpt-4o-mini
    access_key: k
    default: true
  - model: anthropic/claude-sonnet-4-6
    access_key: k
  - model: openai/Plano-Orchestrator
    access_key: k
{preferences}
{extra}
"""
    return load_config_text(text, environ={})


def chat_request(
    text: str | list[dict[str, Any]],
    *,
    model: str = "openai/gpt-4o-mini",
    headers: dict[str, str] | None = None,
    path: str = "/v1/chat/completions",
    system: str | None = None,
) -> LlmRequest:
    """A parsed Chat Completions request (the user's ``text``, or whole ``messages``)."""
    messages = [{"role": "user", "content": text}] if isinstance(text, str) else text
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages]
    return LlmRequest(
        api=ClientApi.CHAT,
        path=path,
        body={"model": model, "messages": messages},
        headers=headers or {},
        request_id="req-1",
        requested_model=model,
        model=model,
        provider=model,
        stream=False,
        listener="llm",
    )


class DirectCompleter:
    """A `ChatCompleter` that posts to a fake orchestrator without the egress."""

    def __init__(self, url: str) -> None:
        self.url = url + "/v1/chat/completions"
        self.calls = 0

    async def __call__(
        self, body: dict[str, Any], *, request: LlmRequest | None, timeout_seconds: float
    ) -> dict[str, Any]:
        self.calls += 1
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.url, json=body) as response,
        ):
            data: dict[str, Any] = await response.json(content_type=None)
            if response.status >= 400:
                raise StepError(response.status, str(data))
            return data


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server on a free port (stopping it never touches the shared one)."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
async def orchestrator() -> AsyncIterator[FakeOrchestrator]:
    """The fake routing model, in the test's event loop."""
    async with FakeOrchestrator(delay=5.0) as fake:
        yield fake


RouterFactory = Callable[..., PreferenceRouter]


@pytest.fixture
def make_router(orchestrator: FakeOrchestrator) -> RouterFactory:
    """Build a router from `config(extra)` calling the fake orchestrator directly."""

    def build(
        extra: str = "",
        registry: CollectorRegistry | None = None,
        preferences: str = PREFERENCES,
        tracer: Tracer | None = None,
    ) -> PreferenceRouter:
        metrics = BrightstaffMetrics(registry or CollectorRegistry())
        completer = DirectCompleter(orchestrator.url)
        return build_router(config(extra, preferences), completer, metrics, tracer=tracer)

    return build


RequestFactory = Callable[..., LlmRequest]


@pytest.fixture
def req() -> RequestFactory:
    """Build a parsed Chat Completions request (see `chat_request`)."""
    return chat_request


@pytest.fixture
def load_config() -> Callable[..., PlanoConfig]:
    """Build a config (see `config`)."""
    return config
