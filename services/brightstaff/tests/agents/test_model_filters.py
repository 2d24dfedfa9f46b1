"""Model-listener filters end to end: SDK client → brightstaff → fake upstream, with real MCP
filter servers (official SDK, JSON and SSE replies) and HTTP filter apps as processes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from plano_testkit import FakeUpstream, RunningService, free_port, run_service
from plano_testkit.processes import filter_server
from plano_testkit.raw_client import RawResponse, post
from plano_testkit.reply import Reply

LISTENERS = {
    "rewrite": ("input_filters", ["rag_json", "rag_sse", "rag_http"]),
    "block_json": ("input_filters", ["block_json"]),
    "block_sse": ("input_filters", ["block_sse"]),
    "block_http": ("input_filters", ["block_http"]),
    "redact_http": ("output_filters", ["redact_http"]),
    "redact_mcp": ("output_filters", ["redact_sse"]),
    "fail": ("input_filters", ["fail_http"]),
    "slow": ("input_filters", ["slow_http"]),
    "broken": ("input_filters", ["broken_mcp"]),
    "down": ("input_filters", ["down_http"]),
    "output_fail": ("output_filters", ["fail_http"]),
    "restart": ("input_filters", ["rag_restart"]),
}
USER = [{"role": "user", "content": "hello"}]


@dataclass
class Setup:
    fake: FakeUpstream
    brightstaff: RunningService
    ports: dict[str, int]
    restart_port: int

    def url(self, listener: str) -> str:
        return f"http://127.0.0.1:{self.ports[listener]}"

    def sdk(self, listener: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url(listener) + "/v1", api_key="k", max_retries=0)

    def post(self, listener: str, body: dict[str, Any]) -> RawResponse:
        return post(self.url(listener) + "/v1/chat/completions", body)


def config(ports: dict[str, int], json_url: str, sse_url: str, restart_url: str) -> str:
    listeners = "\n".join(
        f"  - {{type: model, name: {name}, address: 127.0.0.1, port: {ports[name]}, "
        f"{field}: [{', '.join(ids)}]}}"
        for name, (field, ids) in LISTENERS.items()
    )
    return f"""version: v0.4.0
listeners:
{listeners}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: k
    default: true
filters:
  - {{id: rag_json, url: "{json_url}", tool: rag}}
  - {{id: rag_sse, url: "{sse_url}", tool: rag}}
  - {{id: rag_http, url: "{json_url}/http/rag", type: http}}
  - {{id: block_json, url: "{json_url}", tool: block}}
  - {{id: block_sse, url: "{sse_url}", tool: block}}
  - {{id: block_http, url: "{json_url}/http/block", type: http}}
  - {{id: redact_http, url: "{json_url}/http/redact", type: http}}
  - {{id: redact_sse, url: "{sse_url}", tool: redact}}
  - {{id: fail_http, url: "{json_url}/http/fail", type: http}}
  - {{id: slow_http, url: "{json_url}/http/slow", type: http, timeout: 500ms}}
  - {{id: broken_mcp, url: "{json_url}/broken"}}
  - {{id: down_http, url: "http://127.0.0.1:{free_port()}/x", type: http}}
  - {{id: rag_restart, url: "{restart_url}", tool: rag}}
"""


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    restart_port = free_port()
    with (
        FakeUpstream() as fake,
        filter_server("json") as json_server,
        filter_server("sse") as sse_server,
    ):
        ports = {name: free_port() for name in LISTENERS}
        restart_url = f"http://127.0.0.1:{restart_port}"
        text = config(ports, json_server.url, sse_server.url, restart_url)
        env = {"LLM_PROVIDER_ENDPOINT": fake.url, "PLANO_METRICS_PORT": None}
        with run_service("brightstaff", text, env=env) as brightstaff:
            yield Setup(fake, brightstaff, ports, restart_port)


@pytest.fixture(autouse=True)
def _reset(setup: Setup) -> None:
    setup.fake.reset()


def test_input_filters_rewrite_in_json_sse_and_http_modes(setup: Setup) -> None:
    setup.fake.enqueue(Reply(text="ok"))
    with setup.sdk("rewrite") as sdk:
        completion = sdk.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert completion.choices[0].message.content == "ok"
    sent = setup.fake.last_request.json["messages"]
    notes = [m["content"] for m in sent if m["role"] == "system"]
    assert notes == [
        "RAG context: 3 documents",
        "RAG context: 2 documents",
        "RAG context: 1 documents",
    ]
    assert sent[-1] == {"role": "user", "content": "hello"}


@pytest.mark.parametrize("listener", ["block_json", "block_sse", "block_http"])
def test_a_blocking_filter_answers_400_filter_chain_error(setup: Setup, listener: str) -> None:
    response = setup.post(
        listener,
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "say something forbidden"}],
        },
    )
    assert response.status == 400
    body = response.json()
    assert body["error"] == "FilterChainError"
    assert body["agent"] == listener
    assert body["status"] == 400
    assert "content_blocked" in body["agent_response"]
    assert setup.fake.requests == []


def test_blocking_filter_lets_clean_requests_pass(setup: Setup) -> None:
    setup.fake.enqueue(Reply(text="fine"))
    with setup.sdk("block_sse") as sdk:
        completion = sdk.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert completion.choices[0].message.content == "fine"


@pytest.mark.parametrize("listener", ["redact_http", "redact_mcp"])
def test_output_filter_redacts_a_streamed_reply(setup: Setup, listener: str) -> None:
    setup.fake.enqueue(Reply(text="the secret code is secret indeed", chunk_gap=0.005))
    with setup.sdk(listener) as sdk:
        stream = sdk.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "secret" not in text
    assert text == "the [REDACTED] code is [REDACTED] indeed"


def test_output_filter_redacts_a_whole_reply(setup: Setup) -> None:
    setup.fake.enqueue(Reply(text="my secret"))
    with setup.sdk("redact_mcp") as sdk:
        completion = sdk.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert completion.choices[0].message.content == "my [REDACTED]"


def test_a_failing_output_filter_passes_chunks_through(setup: Setup) -> None:
    setup.fake.enqueue(Reply(text="untouched secret", chunk_gap=0.005))
    with setup.sdk("output_fail") as sdk:
        stream = sdk.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "untouched secret"


def test_a_filter_answering_500_is_a_server_error(setup: Setup) -> None:
    response = setup.post("fail", {"model": "gpt-4o-mini", "messages": USER})
    assert response.status == 500
    body = response.json()
    assert body["error"] == "FilterChainError" and body["agent"] == "fail_http"
    assert body["status"] == 500 and "filter exploded" in body["agent_response"]


def test_a_filter_timing_out_is_a_504(setup: Setup) -> None:
    response = setup.post("slow", {"model": "gpt-4o-mini", "messages": USER})
    assert response.status == 504
    body = response.json()
    assert body["agent"] == "slow_http" and "timed out" in body["agent_response"]


def test_malformed_json_rpc_is_a_502(setup: Setup) -> None:
    response = setup.post("broken", {"model": "gpt-4o-mini", "messages": USER})
    assert response.status == 502
    body = response.json()
    assert body["agent"] == "broken_mcp" and "malformed JSON-RPC" in body["agent_response"]


def test_an_unreachable_filter_is_a_502_naming_it(setup: Setup) -> None:
    response = setup.post("down", {"model": "gpt-4o-mini", "messages": USER})
    assert response.status == 502
    body = response.json()
    assert body["agent"] == "down_http" and "unreachable" in body["agent_response"]


def test_mcp_sessions_are_reused_and_reopened_after_a_server_restart(setup: Setup) -> None:
    def ask() -> None:
        setup.fake.enqueue(Reply(text="ok"))
        response = setup.post("restart", {"model": "gpt-4o-mini", "messages": USER})
        assert response.status == 200, response.body

    with filter_server("json", port=setup.restart_port) as first:
        ask()
        ask()
        ask()
        stats = first.get_json("/stats")
    assert stats["initialize"] == 1 and stats["tool_calls"] == 3
    with filter_server("json", port=setup.restart_port) as restarted:
        ask()
        ask()
        stats = restarted.get_json("/stats")
    assert stats["initialize"] == 1 and stats["tool_calls"] == 2
