"""brightstaff when things go wrong: the egress down, a client leaving mid-stream, a port in
use, oversized bodies; and several model listeners in one process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit import FakeUpstream, free_port, run_service
from plano_testkit.raw_client import post
from plano_testkit.recording import Outcome
from plano_testkit.reply import Reply

USER = [{"role": "user", "content": "hi"}]


def test_egress_down_is_502_in_each_dialect(
    fake_upstream: FakeUpstream, chain_starter: Any
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    with chain_starter(fake_upstream, env={"LLM_PROVIDER_ENDPOINT": nobody}) as chain:
        with chain.openai_sdk() as sdk, pytest.raises(openai.InternalServerError) as raised:
            sdk.chat.completions.create(model="fast", messages=USER)
        with chain.anthropic_sdk() as sdk, pytest.raises(anthropic.InternalServerError) as raised_a:
            sdk.messages.create(model="smart", max_tokens=10, messages=USER)
        text = chain.wait_metrics('error_class="connect"')
    assert raised.value.status_code == 502
    assert "LLM egress unreachable" in str(raised.value)
    assert raised_a.value.status_code == 502
    assert raised_a.value.body["type"] == "error"  # type: ignore[index]
    assert 'status_class="error"' in text


def test_client_leaving_mid_stream_cancels_the_egress_request(chain: Any) -> None:
    words = " ".join(f"w{i}" for i in range(300))
    chain.fake.enqueue(Reply(text=words, chunk_gap=0.05))
    port = int(chain.model_url.rsplit(":", 1)[1])
    body = json.dumps({"model": "fast", "messages": USER, "stream": True}).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json"
        f"\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        received = b""
        while b"data:" not in received:
            received += sock.recv(4096)
    assert b"200" in received.split(b"\r\n", 1)[0]
    upstream = chain.fake.wait_for_requests_sync(1)[0]
    assert upstream.wait_done_sync(10)
    assert upstream.outcome is Outcome.CLIENT_DISCONNECTED
    logs = chain.brightstaff.wait_for_log('"status":499')
    assert '"stream":true' in logs


def test_body_over_the_limit_is_413(fake_upstream: FakeUpstream, chain_starter: Any) -> None:
    env = {"PLANO_BRIGHTSTAFF_MAX_BODY_BYTES": "2000"}
    with chain_starter(fake_upstream, env=env) as chain:
        big = {"model": "fast", "messages": [{"role": "user", "content": "x" * 5000}]}
        response = post(f"{chain.model_url}/v1/chat/completions", big)
        small = post(f"{chain.model_url}/v1/chat/completions", {"model": "fast", "messages": USER})
    assert response.status == 413
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert small.status == 200


def _config(fake_url: str, gateway_port: int, listeners: str) -> str:
    return f"""version: v0.3.0
listeners:
{listeners}endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-x
    base_url: {fake_url}
    default: true
"""


def test_several_model_listeners_in_one_process(fake_upstream: FakeUpstream) -> None:
    first, second, gateway_port = free_port(), free_port(), free_port()
    listeners = (
        f"  - {{type: model, name: first, address: 127.0.0.1, port: {first}}}\n"
        f"  - {{type: model, name: second, address: 127.0.0.1, port: {second}}}\n"
    )
    config = _config(fake_upstream.url, gateway_port, listeners)
    env = {"PLANO_METRICS_PORT": str(free_port()), "PLANO_ACCESS_LOG": "stderr"}
    with (
        run_service("llm_gateway", config, port=gateway_port, env={"PLANO_METRICS_PORT": None}),
        run_service("brightstaff", config, env=env) as brightstaff,
    ):
        for port in (first, second):
            answer = post(
                f"http://127.0.0.1:{port}/v1/chat/completions",
                {"model": "gpt-4o-mini", "messages": USER},
            )
            assert answer.status == 200
        logs = brightstaff.wait_for_log('"listener":"second"')
    assert '"listener":"first"' in logs


def test_listener_port_in_use_exits_2_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        listeners = f"  - {{type: model, name: busy, address: 127.0.0.1, port: {port}}}\n"
        config = tmp_path / "config.yaml"
        config.write_text(_config("http://127.0.0.1:9", free_port(), listeners))
        command = [sys.executable, "-m", "brightstaff", "--config", str(config)]
        command += ["--host", "127.0.0.1", "--port", str(free_port())]
        command += ["--metrics-port", str(free_port())]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(port) in lines[0] and "busy" in lines[0]
