"""`planoai up` with all three services and a fake upstream: SDK calls through the model
listener, the egress and the prompt listener; `down` leaves no process; fast failures."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anthropic
import openai

from plano_testkit import FakeUpstream, free_port


def _config(fake_url: str, model_port: int, prompt_port: int, api_port: int) -> str:
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
  - type: prompt
    name: prompt_listener
    address: 127.0.0.1
    port: {prompt_port}
endpoints:
  weather_api:
    endpoint: 127.0.0.1:{api_port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $PLANOAI_TEST_KEY
    base_url: {fake_url}
    default: true
  - model: anthropic/claude-haiku-4-5
    access_key: $PLANOAI_TEST_KEY
    base_url: {fake_url}
system_prompt: You are a helpful assistant.
prompt_targets:
  - name: get_weather
    description: Get the current weather at a location.
    parameters:
      - name: location
        description: the city
        required: true
        type: string
    endpoint:
      name: weather_api
      path: /weather
"""


def test_up_all_services_then_down(cli: Any, tmp_path: Path) -> None:
    model_port, prompt_port = free_port(), free_port()
    with FakeUpstream() as fake:
        config = tmp_path / "plano.yaml"
        config.write_text(_config(fake.url, model_port, prompt_port, fake.port))
        started = cli.run(["up", str(config)], {"PLANOAI_TEST_KEY": "sk-test"})
        assert started.returncode == 0, started.stderr + started.stdout
        for name in ("llm-gateway", "brightstaff", "prompt-gateway"):
            assert f"{name} healthy" in started.stdout
        assert f"127.0.0.1:{model_port}" in started.stdout
        assert "openai/gpt-4o-mini" in started.stdout
        pids = cli.pids()
        assert len(pids) == 3
        again = cli.run(["up", str(config)], {"PLANOAI_TEST_KEY": "sk-test"})
        assert again.returncode == 2
        assert "already running" in again.stderr

        ask = [{"role": "user", "content": "respond with exactly: front door"}]
        front = openai.OpenAI(
            base_url=f"http://127.0.0.1:{model_port}/v1", api_key="k", max_retries=0
        )
        reply = front.chat.completions.create(model="openai/gpt-4o-mini", messages=ask)  # type: ignore[arg-type]
        assert reply.choices[0].message.content == "front door"

        claude = anthropic.Anthropic(
            base_url=f"http://127.0.0.1:{model_port}", api_key="k", max_retries=0
        )
        message = claude.messages.create(
            model="anthropic/claude-haiku-4-5",
            max_tokens=50,
            messages=[{"role": "user", "content": "respond with exactly: anthropic way"}],
        )
        assert message.content[0].type == "text" and message.content[0].text == "anthropic way"

        egress_port = cli.port("PLANOAI_LLM_GATEWAY_PORT")
        egress = openai.OpenAI(
            base_url=f"http://127.0.0.1:{egress_port}/v1", api_key="k", max_retries=0
        )
        direct = egress.chat.completions.create(model="openai/gpt-4o-mini", messages=ask)  # type: ignore[arg-type]
        assert direct.choices[0].message.content == "front door"

        prompt = openai.OpenAI(
            base_url=f"http://127.0.0.1:{prompt_port}/v1", api_key="k", max_retries=0
        )
        answer = prompt.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "respond with exactly: prompt side"}],
        )
        assert answer.choices[0].message.content == "prompt side"

        observed = cli.run(["obs", "--once"])
        assert observed.returncode == 0, observed.stderr
        assert "gpt-4o-mini" in observed.stdout

        status = cli.run(["status"])
        assert status.returncode == 0, status.stdout
        stopped = cli.run(["down"])
        assert stopped.returncode == 0, stopped.stderr
        assert all(cli.gone(pid) for pid in pids)
        assert cli.pids() == []
        assert cli.run(["status"]).returncode == 3


def test_up_fails_fast_on_a_taken_port(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "plano.yaml"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        config.write_text(
            f"version: v0.3.0\nlisteners:\n  - type: model\n    name: m\n    port: {taken}\n"
            "model_providers:\n  - model: openai/*\n    passthrough_auth: true\n"
        )
        result = cli.run(["up", str(config)], timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f":{taken} (brightstaff model listener m) is in use" in lines[0]
    assert cli.pids() == []


def test_up_fails_fast_on_a_missing_variable(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "plano.yaml"
    config.write_text(
        "version: v0.3.0\nlisteners:\n  - type: model\n    name: m\n    port: 1\n"
        "model_providers:\n  - model: openai/gpt-4o\n"
        "    access_key: $PLANOAI_TEST_UNSET_KEY\n"
    )
    result = cli.run(["up", str(config)], {"PLANOAI_TEST_UNSET_KEY": None}, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PLANOAI_TEST_UNSET_KEY is not set" in lines[0]
    assert lines[0].startswith("planoai: invalid config:")
    assert cli.pids() == []


def test_foreground_up_stops_everything_on_sigterm(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "plano.yaml"
    config.write_text(
        "version: v0.3.0\nlisteners:\n  - type: model\n    name: m\n"
        f"    address: 127.0.0.1\n    port: {free_port()}\n"
        "model_providers:\n  - model: openai/*\n    passthrough_auth: true\n"
    )
    output = tmp_path / "up.out"
    with output.open("wb") as sink:
        up = subprocess.Popen(
            [sys.executable, "-m", "planoai", "up", str(config), "--foreground"],
            env=cli.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        while "following the logs" not in output.read_text():
            assert up.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        pids = cli.pids()
        assert len(pids) == 2
    finally:
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0, output.read_text()
    assert all(cli.gone(pid) for pid in pids)
    assert cli.pids() == []
