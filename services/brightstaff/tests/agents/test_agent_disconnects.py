"""Many concurrent agent requests, many of them abandoned by their clients mid-way: nothing is
left behind (tasks, MCP sessions, connections to agents and filters).

The agent listener runs in the test's own event loop (to count its tasks); the fake agents and
the MCP filter server are processes. Scaled to what a shared 2-core machine runs in well
under a minute.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import uvicorn
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from brightstaff.agents.reply import reply_text
from brightstaff.app import Brightstaff
from plano_common.config.loader import load_config_text
from plano_testkit import free_port
from plano_testkit.orchestrator import FakeOrchestrator
from plano_testkit.processes import fake_agent, filter_server

REQUESTS = 500
BODY = {
    "model": "m",
    "stream": True,
    "messages": [{"role": "user", "content": "book flights and reserve hotel rooms"}],
}


def _config(agents: dict[str, str], filters_url: str, port: int) -> str:
    return f"""version: v0.4.0
listeners:
  - {{type: model, name: llm, address: 127.0.0.1, port: {free_port()}}}
  - type: agent
    name: travel
    address: 127.0.0.1
    port: {port}
    agents:
      - {{id: flights, description: book flights, input_filters: [rag]}}
      - {{id: hotels, description: reserve hotel rooms}}
agents:
  - {{id: flights, url: "{agents["flights"]}"}}
  - {{id: hotels, url: "{agents["hotels"]}"}}
filters:
  - {{id: rag, url: "{filters_url}"}}
model_providers:
  - {{model: openai/gpt-4o-mini, access_key: k, default: true}}
tracing:
  random_sampling: 100
"""


@pytest.fixture
async def listener() -> AsyncIterator[tuple[str, Brightstaff, Any, InMemorySpanExporter]]:
    with (
        FakeOrchestrator(mode="chain") as orchestrator,
        fake_agent("flights", delay=0.05) as flights,
        fake_agent("hotels", delay=0.05) as hotels,
        filter_server("json") as filters,
    ):
        port = free_port()
        urls = {"flights": flights.url, "hotels": hotels.url}
        config = load_config_text(_config(urls, filters.url, port), environ={})
        spans = InMemorySpanExporter()
        service = Brightstaff(
            config,
            {"LLM_PROVIDER_ENDPOINT": orchestrator.url},
            span_processor=SimpleSpanProcessor(spans),
        )
        _, app = service.steps.extra_listeners[0]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="error")
        )
        task = asyncio.create_task(server.serve())
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}", service, filters, spans
        finally:
            server.should_exit = True
            await task
            await service.aclose()


async def _one(session: aiohttp.ClientSession, url: str, cut: float | None) -> str:
    async def call() -> str:
        async with session.post(url, json=BODY) as response:
            return reply_text(await response.read(), "text/event-stream")

    if cut is None:
        return await call()
    try:
        return await asyncio.wait_for(call(), cut)
    except TimeoutError:
        return ""


async def _settled(baseline: set[asyncio.Task[Any]], seconds: float) -> set[asyncio.Task[Any]]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        extra = {t for t in asyncio.all_tasks() if t not in baseline and not t.done()}
        extra.discard(asyncio.current_task())  # type: ignore[arg-type]
        if not extra or asyncio.get_running_loop().time() > deadline:
            return extra
        await asyncio.sleep(0.05)


async def test_abandoned_requests_leave_nothing_behind(
    listener: tuple[str, Brightstaff, Any, InMemorySpanExporter],
) -> None:
    url, service, filters, _ = listener
    target = url + "/v1/chat/completions"
    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        assert "hotels answered" in await _one(session, target, None)
        baseline = set(asyncio.all_tasks())
        cuts = [rng.uniform(0.0, 0.4) if rng.random() < 0.5 else None for _ in range(REQUESTS)]
        results = await asyncio.gather(*(_one(session, target, cut) for cut in cuts))
        completed = [r for r, cut in zip(results, cuts, strict=True) if cut is None]
        assert all("hotels answered after flights=flights answered" in r for r in completed)
        left = await _settled(baseline, 10.0)
        assert left == set(), [t.get_coro() for t in left]
        registry = service.metrics.registry
        assert registry.get_sample_value("brightstaff_filter_agent_connections_in_use") == 0
        assert registry.get_sample_value("brightstaff_mcp_sessions_open") == 1
        in_flight = registry.get_sample_value(
            "brightstaff_http_in_flight_requests", {"handler": "agent_chat"}
        )
        assert in_flight == 0
        assert filters.get_json("/stats")["initialize"] == 1
        assert "hotels answered" in await _one(session, target, None)


async def test_spans_and_metrics_per_filter_and_agent(
    listener: tuple[str, Brightstaff, Any, InMemorySpanExporter],
) -> None:
    url, service, _, spans = listener
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        assert "hotels answered" in await _one(session, url + "/v1/chat/completions", None)
    by_service = {
        (span.resource.attributes["service.name"], span.name) for span in spans.get_finished_spans()
    }
    assert ("plano(filter)", "filter rag") in by_service
    assert ("plano(agent)", "flights /v1/chat/completions") in by_service
    assert ("plano(agent)", "hotels /v1/chat/completions") in by_service
    assert ("plano(orchestrator)", "travel") in by_service
    registry = service.metrics.registry
    sample = registry.get_sample_value
    assert sample("brightstaff_agent_calls_total", {"agent": "hotels", "outcome": "ok"}) == 1
    labels = {"filter": "rag", "direction": "input", "outcome": "ok"}
    assert sample("brightstaff_filter_calls_total", labels) == 1
    assert sample("brightstaff_filter_duration_seconds_count", {"filter": "rag"}) == 1
