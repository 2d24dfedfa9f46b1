"""`planoai trace` receives the spans llm-gateway exports and prints the trace as a tree."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openai

from plano_testkit import FakeUpstream, free_port


def _wait_for(path: Path, text: str, process: subprocess.Popen[bytes], within: float) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        output = path.read_text(errors="replace")
        if text in output:
            return output
        assert process.poll() is None, output
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed:\n{path.read_text(errors='replace')}")


def test_trace_prints_a_span_tree(cli: Any, tmp_path: Path) -> None:
    otlp_port = free_port()
    output = tmp_path / "trace.out"
    with output.open("wb") as sink:
        receiver = subprocess.Popen(
            [sys.executable, "-m", "planoai", "trace", "--port", str(otlp_port), "--quiet", "0.5"],
            env={**cli.env, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_for(output, "receiving OTLP traces", receiver, 30)
        with FakeUpstream() as fake:
            config = tmp_path / "plano.yaml"
            config.write_text(
                "version: v0.3.0\nlisteners:\n  - type: model\n    name: m\n"
                f"    address: 127.0.0.1\n    port: {free_port()}\n"
                "model_providers:\n  - model: openai/gpt-4o-mini\n    access_key: sk-x\n"
                f"    base_url: {fake.url}\n    default: true\n"
                f"tracing:\n  random_sampling: 100\n"
                f"  opentracing_grpc_endpoint: http://127.0.0.1:{otlp_port}\n"
            )
            env = {"OTEL_BSP_SCHEDULE_DELAY": "200"}
            started = cli.run(["up", str(config), "--service", "llm-gateway"], env)
            assert started.returncode == 0, started.stderr + started.stdout
            port = cli.port("PLANOAI_LLM_GATEWAY_PORT")
            client = openai.OpenAI(
                base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0
            )
            client.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            printed = _wait_for(output, "trace ", receiver, 30)
            assert "plano(llm) POST /v1/chat/completions" in printed
            assert "llm.model=gpt-4o-mini" in printed
    finally:
        receiver.send_signal(signal.SIGINT)
        receiver.wait(timeout=15)
