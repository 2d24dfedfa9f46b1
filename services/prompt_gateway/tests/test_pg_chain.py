"""The prompt gateway in front of a real llm-gateway process, both listeners, and TLS endpoints."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from plano_testkit import Reply, free_port, run_service
from plano_testkit.developer_api import FakeDeveloperApi
from plano_testkit.function_calling import FcAnswer

ASK = [{"role": "user", "content": "weather in Seattle for 2 days"}]


def test_through_llm_gateway_with_default_target_dispatch(
    fakes: Any, gateway_starter: Callable[..., Any]
) -> None:
    gateway_port = free_port()
    llm_config = f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {free_port()}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-upstream-key
    base_url: {fakes.llm.url}
    default: true
"""
    env = {"PLANO_METRICS_PORT": None}
    with (
        run_service("llm_gateway", llm_config, port=gateway_port, env=env),
        gateway_starter(
            fakes, default_target="true", egress=f"http://127.0.0.1:{gateway_port}"
        ) as running,
    ):
        fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "Seattle", "days": "2"}))
        fakes.api.respond("/weather", 200, {"forecast": "sunny"})
        fakes.llm.enqueue(Reply(text="It is sunny."), Reply(text="Hello there."))
        client = running.sdk()
        with client.chat.completions.stream(model="gpt-4o-mini", messages=ASK) as stream:
            final = stream.get_final_completion()
        assert (final.choices[0].message.content or "").endswith("It is sunny.")
        upstream = fakes.llm.requests[0]
        assert upstream.headers["authorization"] == "Bearer sk-upstream-key"
        assert "context: " in upstream.json["messages"][-1]["content"]
        # No intent: the default target's reply becomes the LLM's context.
        fakes.api.respond(
            "/default_target",
            200,
            {"model": "api", "choices": [{"message": {"role": "assistant", "content": "ctx!"}}]},
        )
        hello = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
        )
        assert hello.choices[0].message.content == "Hello there."
        sent = fakes.llm.requests[1].json["messages"]
        assert sent[0] == {"role": "system", "content": "You summarize the request."}
        assert sent[-1]["content"] == "hello\ncontext: ctx!"


def test_main_port_serves_the_same_flow(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.clarify("Which city?"))
    client = openai.OpenAI(base_url=f"{gateway.service.url}/v1", api_key="k", max_retries=0)
    completion = client.chat.completions.create(model="m", messages=ASK)
    assert completion.choices[0].message.content == "Which city?"
    logs = gateway.service.stderr_text()
    assert f"listening on {gateway.service.url} (main)" in logs
    assert f"listening on {gateway.prompt_url} (prompt listener prompt_listener)" in logs


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_https_endpoint_with_http_host_and_ca(
    fakes: Any, gateway_starter: Callable[..., Any], tmp_path: Path
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=api.internal",
            "-addext", "subjectAltName=DNS:api.internal",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with FakeDeveloperApi(tls=context) as secure:
        prompt_port = free_port()
        config = f"""version: v0.3.0
listeners:
  - type: prompt
    name: prompts
    address: 127.0.0.1
    port: {prompt_port}
endpoints:
  secure_api:
    endpoint: https://127.0.0.1:{secure.port}
    http_host: api.internal
    connect_timeout: 2s
overrides:
  upstream_tls_ca_path: {cert}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-x
prompt_targets:
  - name: lookup
    description: look something up
    auto_llm_dispatch_on_response: false
    parameters:
      - name: q
        description: query
        type: str
        required: true
    endpoint:
      name: secure_api
      path: /search
"""
        with gateway_starter(fakes, config=config) as running:
            client = openai.OpenAI(
                base_url=f"http://127.0.0.1:{prompt_port}/v1", api_key="k", max_retries=0
            )
            fakes.fc.enqueue(FcAnswer.call("lookup", {"q": "tls"}))
            completion = client.chat.completions.create(model="m", messages=ASK)
            echo = json.loads(completion.choices[0].message.content or "")
            assert echo["raw_path"] == "/search" and echo["query"] == "q=tls"
            assert secure.received[0].headers["host"] == "api.internal"
            assert running.service.returncode is None
