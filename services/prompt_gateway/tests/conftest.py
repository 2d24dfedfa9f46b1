"""Fixtures of the prompt-gateway tests: fakes in background threads, the gateway as a process.

The fakes (LLM upstream, function-calling service, developer API, guard) are shared by a test
module and reset before each test; `start_prompt_gateway` runs `prompt_gateway` from a config
whose prompt listener is on a free port, pointed at the fakes.
"""

from __future__ import annotations

import contextlib
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import openai
import pytest

from plano_testkit import FakeUpstream, RunningService, free_port, run_service
from plano_testkit.developer_api import FakeDeveloperApi
from plano_testkit.function_calling import FakeFunctionCalling
from plano_testkit.guard import FakeGuard

API_KEY_ENV = "PG_TEST_API_KEY"
API_KEY_VALUE = "dev-api-key-123"


@dataclass
class Fakes:
    """The fakes one test module shares."""

    llm: FakeUpstream
    fc: FakeFunctionCalling
    api: FakeDeveloperApi
    guard: FakeGuard

    def reset(self) -> None:
        """Forget queued answers and recorded requests."""
        for fake in (self.llm, self.fc, self.api, self.guard):
            fake.reset()


@dataclass
class Gateway:
    """A running prompt gateway."""

    service: RunningService
    prompt_url: str

    def sdk(self) -> openai.OpenAI:
        """An OpenAI SDK client of the prompt listener (no retries)."""
        return openai.OpenAI(base_url=f"{self.prompt_url}/v1", api_key="sk-client", max_retries=0)

    def metrics_text(self) -> str:
        """The Prometheus exposition of the gateway."""
        with urllib.request.urlopen(f"{self.service.url}/metrics", timeout=5) as response:
            return str(response.read().decode())

    def wait_log(self, text: str, timeout: float = 5.0) -> str:
        """Wait until the gateway's stderr contains `text`."""
        return self.service.wait_for_log(text, timeout)

    def wait_metrics(self, text: str, timeout: float = 5.0) -> str:
        """Poll /metrics until it contains `text`."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.metrics_text()
            if text in current or time.monotonic() >= deadline:
                return current
            time.sleep(0.05)


TARGETS = """
system_prompt: You are a helpful assistant.
prompt_targets:
  - name: get_current_weather
    description: Get current weather at a location.
    parameters:
      - name: location
        description: The location to get the weather for
        required: true
        type: string
        format: city, state
      - name: days
        description: the number of days for the request
        required: true
        type: string
      - name: units
        description: temperature units
        type: string
        default: fahrenheit
    endpoint:
      name: weather_forecast_service
      path: /weather
      http_method: POST
  - name: get_user
    description: Look up a user account by its id.
    system_prompt: You summarize user accounts.
    parameters:
      - name: user_id
        description: the user id
        required: true
        type: str
      - name: verbose
        description: include details
        type: bool
        default: false
    endpoint:
      name: api_server
      path: /users/{user_id}
      http_method: GET
      http_headers:
        x-api-key: $PG_TEST_API_KEY
  - name: raw_lookup
    description: Look up an item and return the raw record.
    auto_llm_dispatch_on_response: false
    parameters:
      - name: item
        description: the item
        required: true
        type: string
    endpoint:
      name: api_server
      path: /lookup/{item}
"""

DEFAULT_TARGET = """
  - name: default_target
    default: true
    description: This is the default target for all unmatched prompts.
    endpoint:
      name: api_server
      path: /default_target
      http_method: POST
    system_prompt: You summarize the request.
    auto_llm_dispatch_on_response: {dispatch}
"""

GUARD = """
prompt_guards:
  input_guards:
    jailbreak:
      on_exception:
        message: Looks like you are curious about my abilities, but I can only help with weather.
"""


def gateway_config(
    api_port: int, prompt_port: int, *, default_target: str | None = None, extra: str = ""
) -> str:
    """A prompt-gateway config: the prompt listener, the API endpoints and the targets."""
    targets = TARGETS
    if default_target is not None:
        targets += DEFAULT_TARGET.format(dispatch=default_target)
    return f"""version: v0.3.0
listeners:
  - type: prompt
    name: prompt_listener
    address: 127.0.0.1
    port: {prompt_port}
    timeout: 30s
endpoints:
  weather_forecast_service:
    endpoint: 127.0.0.1:{api_port}
    connect_timeout: 2s
  api_server:
    endpoint: 127.0.0.1:{api_port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-upstream
    default: true
{targets}{extra}"""


@contextlib.contextmanager
def start_prompt_gateway(
    fakes: Fakes,
    *,
    config: str | None = None,
    default_target: str | None = "false",
    extra: str = "",
    env: Mapping[str, str | None] | None = None,
    egress: str | None = None,
    prompt_port: int | None = None,
) -> Iterator[Gateway]:
    """Run the prompt gateway against the fakes (the LLM fake as egress unless `egress`).

    With `config`, `prompt_port` is the port of its prompt listener.
    """
    prompt_port = prompt_port or free_port()
    text = config or gateway_config(
        fakes.api.port, prompt_port, default_target=default_target, extra=extra
    )
    environment: dict[str, str | None] = {
        "PLANO_FUNCTION_CALLING_URL": fakes.fc.endpoint,
        "LLM_PROVIDER_ENDPOINT": egress or fakes.llm.url,
        "PLANO_GUARD_URL": None,
        "PLANO_METRICS_PORT": None,
        "PLANO_ACCESS_LOG": "stderr",
        API_KEY_ENV: API_KEY_VALUE,
        **(env or {}),
    }
    with run_service("prompt_gateway", text, env=environment) as service:
        yield Gateway(service, f"http://127.0.0.1:{prompt_port}")


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    """The fakes of one test module, each in a background thread."""
    with (
        FakeUpstream() as llm,
        FakeFunctionCalling() as fc,
        FakeDeveloperApi() as api,
        FakeGuard() as guard,
    ):
        yield Fakes(llm, fc, api, guard)


@pytest.fixture(scope="module")
def gateway(fakes: Fakes) -> Iterator[Gateway]:
    """The gateway with the default config (targets, a default target answering directly)."""
    with start_prompt_gateway(fakes) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_fakes(request: pytest.FixtureRequest) -> None:
    if "fakes" in request.fixturenames:
        request.getfixturevalue("fakes").reset()


@pytest.fixture(scope="session")
def gateway_starter() -> Callable[..., contextlib.AbstractContextManager[Gateway]]:
    """`start_prompt_gateway`, for tests that need their own config or environment."""
    return start_prompt_gateway
