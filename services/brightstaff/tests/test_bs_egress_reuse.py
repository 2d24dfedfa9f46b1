"""Connections to the egress are kept and reused, streamed answers included."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from plano_testkit import FakeUpstream, free_port, run_service
from plano_testkit.raw_client import post
from plano_testkit.reply import Reply

from .conftest import chain_config

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def test_streamed_and_whole_answers_reuse_one_egress_connection(
    fake_upstream: FakeUpstream,
) -> None:
    egress_port = urlsplit(fake_upstream.url).port
    assert egress_port is not None
    model_port = free_port()
    config = chain_config(fake_upstream.url, model_port, egress_port)
    env = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": None}
    with run_service("brightstaff", config, env=env):
        before = fake_upstream.total_connections
        url = f"http://127.0.0.1:{model_port}/v1/chat/completions"
        for stream in (True, True, False, True):
            # one write per event: the body's end arrives after the last event
            fake_upstream.enqueue(Reply(text="one two three", chunk_gap=0.005))
            response = post(url, {**BODY, "stream": stream})
            assert response.status == 200
            if stream:
                assert b"data: [DONE]" in response.body
            # brightstaff reads the end of the egress body after the client has its answer;
            # give it that moment to put the connection back before the next request
            time.sleep(0.2)
        assert fake_upstream.total_connections - before == 1
