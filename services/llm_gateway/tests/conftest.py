"""Fixtures of the llm-gateway tests: the fake upstream and the gateway, each running in a
background thread with its own event loop, so tests can use the official sync SDKs."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import anthropic
import openai
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig

from plano_testkit.fake_upstream import FakeUpstream

T = TypeVar("T")
# Hypercorn keeps a connection's tasks until its keep-alive timer ends even when the client
# closed it while idle; a short timer lets the leak checks see the final task count quickly.
KEEP_ALIVE_SECONDS = 2


def build_config(
    base_url: str,
    access_keys: Mapping[str, str],
    *,
    default: str,
    listener: str = "",
    providers: str = "",
    sections: str = "",
    version: str = "v0.3.0",
) -> str:
    """Config text of one model listener and providers served at `base_url`.

    `access_keys` maps each provider's `provider/model` to its access key and `default` names the
    default one; `listener` adds keys to the listener, `providers` adds whole provider entries
    and `sections` adds top-level sections (each as YAML text, already indented).
    """
    entries = "".join(
        f"  - model: {model}\n    access_key: {key}\n    base_url: {base_url}\n"
        + ("    default: true\n" if model == default else "")
        for model, key in access_keys.items()
    )
    return (
        f"version: {version}\nlisteners:\n  - type: model\n    name: egress\n    port: 12001\n"
        f"{listener}model_providers:\n{entries}{providers}{sections}"
    )


class RunningGateway:
    """A gateway served by Hypercorn on a free port in a background thread."""

    def __init__(self, config_path: Path, environ: Mapping[str, str], **app_options: Any) -> None:
        from llm_gateway.app import GatewayApp
        from plano_common.config import load_config

        config = load_config(config_path, environ=environ)
        self.app = GatewayApp(config, environ=environ, **app_options)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        self.port: int = listener.getsockname()[1]
        self._fd = listener.detach()
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("gateway did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        config = HypercornConfig()
        config.bind = [f"fd://{self._fd}"]
        config.accesslog = None
        config.errorlog = None
        config.keep_alive_timeout = KEEP_ALIVE_SECONDS
        config.graceful_timeout = 1

        async def main() -> None:
            self._stop = asyncio.Event()
            self._ready.set()
            await serve(self.app, config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]

        self.loop.run_until_complete(main())

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Run a coroutine in the gateway's event loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def metric(self, name: str, labels: Mapping[str, str] | None = None) -> float:
        """A sample of the gateway's Prometheus registry (0 when absent)."""
        value = self.app.metrics.registry.get_sample_value(name, dict(labels or {}))
        return 0.0 if value is None else value

    def wait_metric(
        self, name: str, labels: Mapping[str, str] | None, expected: float, timeout: float = 3.0
    ) -> float:
        """Poll a sample until it equals `expected` (metrics are updated after the response)."""
        deadline = time.monotonic() + timeout
        value = self.metric(name, labels)
        while value != expected and time.monotonic() < deadline:
            time.sleep(0.01)
            value = self.metric(name, labels)
        return value

    def openai_sdk(self, api_key: str = "k") -> openai.OpenAI:
        """An OpenAI SDK client of this gateway (no retries)."""
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=api_key, max_retries=0)

    def anthropic_sdk(self, api_key: str = "k") -> anthropic.Anthropic:
        """An Anthropic SDK client of this gateway (no retries)."""
        return anthropic.Anthropic(base_url=self.url, api_key=api_key, max_retries=0)

    def stop(self) -> None:
        stop = self._stop
        if stop is not None:
            self.loop.call_soon_threadsafe(stop.set)
        self._thread.join(10)


GatewayFactory = Callable[..., RunningGateway]
ConfigBuilder = Callable[..., str]


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[FakeUpstream]:
    """A fake upstream speaking every provider's wire format (one per test module)."""
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture(scope="session")
def gateway_config() -> ConfigBuilder:
    """`build_config`, for test modules (they cannot import this file)."""
    return build_config


@pytest.fixture(autouse=True)
def _fresh_fake_upstream(request: pytest.FixtureRequest) -> None:
    """Tests that use the fake upstream start with no queued replies and no recorded requests."""
    if "fake_upstream" in request.fixturenames:
        request.getfixturevalue("fake_upstream").reset()


@pytest.fixture(scope="module")
def start_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayFactory]:
    """Start gateways from config text; they stop at the end of the module."""
    started: list[RunningGateway] = []

    def start(
        config_text: str, environ: Mapping[str, str] | None = None, **app_options: Any
    ) -> RunningGateway:
        folder = tmp_path_factory.mktemp("gateway")
        path = folder / "config.yaml"
        path.write_text(config_text, encoding="utf-8")
        env = {"PLANO_LLM_RETRY_BASE_SECONDS": "0.01", "PLANO_LLM_RETRY_MAX_SECONDS": "0.05"}
        env.update(environ or {})
        gateway = RunningGateway(path, env, **app_options)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()
