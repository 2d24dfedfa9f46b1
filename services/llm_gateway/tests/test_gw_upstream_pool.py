"""Upstream concurrency: hundreds of concurrent streams to one host all succeed, waiting for a
connection slot is not bounded by the connect timeout, and the wait is measured."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply

PROVIDERS = {"openai/gpt-4o-mini": "sk-openai"}
# A connect timeout far shorter than each stream: a request queued behind busy connections
# must not fail because of it.
LISTENER = "    timeout: 60s\n"
OVERRIDES = "overrides:\n  upstream_connect_timeout: 1s\n"


async def _stream(port: int) -> tuple[int, bytes]:
    """One streamed chat completion over a raw connection: (status, body)."""
    body = json.dumps(
        {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + body)
        response = await asyncio.wait_for(reader.read(-1), 60)
    finally:
        writer.close()
    status = int(response.split(b" ", 2)[1])
    return status, response


def _run_streams(port: int, count: int) -> list[tuple[int, bytes]]:
    async def all_streams() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(_stream(port) for _ in range(count)))

    return asyncio.run(all_streams())


@pytest.fixture(scope="module")
def config(fake_upstream: FakeUpstream, gateway_config: Any) -> str:
    return gateway_config(
        fake_upstream.url,
        PROVIDERS,
        default="openai/gpt-4o-mini",
        listener=LISTENER,
        sections=OVERRIDES,
    )


def test_gw_400_concurrent_slow_streams_to_one_host_all_succeed(
    start_gateway: Any, config: str, fake_upstream: FakeUpstream
) -> None:
    gateway = start_gateway(config)
    fake_upstream.default_reply = Reply(text="one two three four", chunk_gap=0.6)
    try:
        results = _run_streams(gateway.port, 400)
    finally:
        fake_upstream.default_reply = Reply(text="ok")
    statuses = [status for status, _ in results]
    assert statuses.count(200) == 400, {s: statuses.count(s) for s in set(statuses)}
    assert all(b"data: [DONE]" in body for _, body in results)
    assert all(b'"error"' not in body for _, body in results)


def test_gw_waiting_for_a_slot_outlasts_the_connect_timeout_and_is_measured(
    start_gateway: Any, config: str, fake_upstream: FakeUpstream
) -> None:
    gateway = start_gateway(config, {"PLANO_LLM_MAX_CONNECTIONS_PER_HOST": "2"})
    fake_upstream.default_reply = Reply(text="one two three", chunk_gap=0.6)
    try:
        results = _run_streams(gateway.port, 4)
    finally:
        fake_upstream.default_reply = Reply(text="ok")
    assert [status for status, _ in results] == [200] * 4
    waited = gateway.metric("llm_gateway_upstream_pool_wait_seconds_count")
    assert waited >= 2
    assert gateway.metric("llm_gateway_upstream_pool_wait_seconds_sum") > 1.0
    assert gateway.metric("llm_gateway_upstream_pool_waiting") == 0


def test_gw_pool_wait_limit_answers_503(
    start_gateway: Any, config: str, fake_upstream: FakeUpstream
) -> None:
    gateway = start_gateway(
        config,
        {"PLANO_LLM_MAX_CONNECTIONS_PER_HOST": "1", "PLANO_LLM_POOL_WAIT_SECONDS": "0.2"},
    )
    fake_upstream.default_reply = Reply(text="one two three", chunk_gap=0.5)
    try:
        results = _run_streams(gateway.port, 2)
    finally:
        fake_upstream.default_reply = Reply(text="ok")
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 503]
    refused = next(body for status, body in results if status == 503)
    assert b"no upstream connection slot" in refused
    assert gateway.metric("llm_gateway_upstream_pool_wait_timeouts_total") == 1
    assert gateway.metric("llm_gateway_upstream_pool_waiting") == 0


def test_upstream_limits_from_env() -> None:
    from llm_gateway.settings import SettingsError, settings_from
    from llm_gateway.upstream_limits import DEFAULT_MAX_CONNECTIONS_PER_HOST, UpstreamLimits

    assert UpstreamLimits.from_env({}).max_connections_per_host == DEFAULT_MAX_CONNECTIONS_PER_HOST
    assert (
        UpstreamLimits.from_env({"PLANO_LLM_POOL_PER_HOST": "300"}).max_connections_per_host == 300
    )
    both = {"PLANO_LLM_POOL_PER_HOST": "300", "PLANO_LLM_MAX_CONNECTIONS_PER_HOST": "5000"}
    assert UpstreamLimits.from_env(both).max_connections_per_host == 5000
    limits = UpstreamLimits.from_env(
        {"PLANO_LLM_POOL_WAIT_SECONDS": "1m30s", "PLANO_LLM_KEEPALIVE_SECONDS": "15"}
    )
    assert (limits.pool_wait_seconds, limits.keepalive_seconds) == (90.0, 15.0)
    with pytest.raises(SettingsError, match="PLANO_LLM_MAX_UPSTREAM_BODY_BYTES"):
        settings_from(
            listener_timeout=None,
            listener_max_retries=None,
            connect_timeout=None,
            tls_ca_path=None,
            environ={"PLANO_LLM_MAX_UPSTREAM_BODY_BYTES": "0"},
        )


async def _leave_mid_stream(port: int) -> None:
    body = json.dumps(
        {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + body)
    received = b""
    while received.count(b"data:") < 2:
        received += await asyncio.wait_for(reader.read(4096), 10)
    writer.transport.abort()


def test_gw_slots_come_back_after_errors_cuts_and_disconnects(
    start_gateway: Any, config: str, fake_upstream: FakeUpstream
) -> None:
    gateway = start_gateway(
        config,
        {"PLANO_LLM_MAX_CONNECTIONS_PER_HOST": "2", "PLANO_LLM_POOL_WAIT_SECONDS": "5"},
    )
    for reply in (
        Reply.error(500, "boom"),
        Reply.error(429, "slow down"),
        Reply(text="cut " * 50, cut_after_events=2),
        Reply(text="cut " * 50, cut_after_bytes=10),
    ):
        fake_upstream.enqueue(reply)
        assert _run_streams(gateway.port, 1)[0][0] in (200, 429, 500)
    fake_upstream.default_reply = Reply(text="one two three four five", chunk_gap=0.3)
    try:
        for _ in range(3):
            asyncio.run(_leave_mid_stream(gateway.port))
        gateway.wait_metric("llm_gateway_in_flight_requests", None, 0, timeout=10)
        waits_before = gateway.metric("llm_gateway_upstream_pool_wait_seconds_count")
        results = _run_streams(gateway.port, 2)
    finally:
        fake_upstream.default_reply = Reply(text="ok")
    assert [status for status, _ in results] == [200, 200]
    assert gateway.metric("llm_gateway_upstream_pool_wait_seconds_count") == waits_before
