"""The open-upstream-connections count follows the sockets aiohttp opens and closes."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from llm_gateway.upstream_sockets import SocketCounter
from plano_testkit import FakeUpstream

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


async def test_gw_socket_counter_tracks_pooled_connections() -> None:
    counter = SocketCounter()
    async with FakeUpstream() as fake:
        connector = aiohttp.TCPConnector(socket_factory=counter.factory)
        async with aiohttp.ClientSession(connector=connector) as session:
            assert counter.open == 0

            async def one() -> None:
                url = f"{fake.url}/v1/chat/completions"
                async with session.post(url, json=BODY) as response:
                    assert response.status == 200
                    await response.read()

            await asyncio.gather(one(), one(), one())
            assert counter.open == fake.open_connections == 3
            await one()  # reuses an idle pooled connection
            assert counter.open == 3
        await fake.wait_for_open_connections(0)
        assert counter.open == 0


async def test_gw_socket_counter_counts_a_refused_connect_as_closed() -> None:
    counter = SocketCounter()
    with socket.socket() as bound:  # bound, never listening: connects are refused
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/v1/chat/completions"
        connector = aiohttp.TCPConnector(socket_factory=counter.factory)
        async with aiohttp.ClientSession(connector=connector) as session:
            with pytest.raises(aiohttp.ClientConnectorError):
                await session.post(url, json=BODY)
    assert counter.open == 0
