"""Upstream replies are read within bounds: body size, decompressed size, stream size."""

from __future__ import annotations

import gzip
import socket
import threading
from typing import Any

import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.raw_server import RawServer
from plano_testkit.reply import Reply

MESSAGES: Any = [{"role": "user", "content": "hi"}]
LIMIT = 1 << 20  # 1 MiB upstream body limit in these tests
STREAM_LIMIT = 256 << 10


class EndlessBodyServer(RawServer):
    """Answers 200 with a JSON body that never ends (a 1 GiB Content-Length it never reaches);
    counts the bytes it managed to send before the gateway hung up."""

    def __init__(self) -> None:
        self.sent = 0
        self.closed = threading.Event()
        super().__init__()

    def answer(self, connection: socket.socket) -> None:
        connection.settimeout(20)
        try:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: 1073741824\r\n\r\n" + b'{"padding": "'
            )
            block = b"x" * 65536
            while self.sent < 1 << 30:
                connection.sendall(block)
                self.sent += len(block)
        finally:
            self.closed.set()


ENDLESS = EndlessBodyServer()


@pytest.fixture(scope="module")
def gateway(fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any) -> Any:
    endless = (
        "  - model: openai/gpt-endless\n    access_key: sk-x\n"
        f"    base_url: http://127.0.0.1:{ENDLESS.port}\n"
    )
    config = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai", "anthropic/claude-sonnet-4-20250514": "sk-ant"},
        default="openai/gpt-4o-mini",
        listener="    timeout: 10s\n",
        providers=endless,
    )
    environ = {
        "PLANO_LLM_MAX_UPSTREAM_BODY_BYTES": str(LIMIT),
        "PLANO_LLM_MAX_STREAM_BYTES": str(STREAM_LIMIT),
    }
    return start_gateway(config, environ)


@pytest.fixture
def oa(gateway: Any) -> Any:
    with gateway.openai_sdk() as client:
        yield client


def test_gw_upstream_json_body_over_the_limit_is_502(oa: openai.OpenAI, fake_upstream: Any) -> None:
    fake_upstream.enqueue(Reply(text="word " * (LIMIT // 4)))
    with pytest.raises(openai.InternalServerError, match="exceeds the limit") as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == 502


def test_gw_upstream_error_body_over_the_limit_is_502(
    oa: openai.OpenAI, fake_upstream: Any
) -> None:
    fake_upstream.enqueue(Reply.error(500, "boom " * (LIMIT // 4)))
    with pytest.raises(openai.InternalServerError, match="exceeds the limit") as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == 502


def test_gw_endless_upstream_body_is_cut_at_the_limit(oa: openai.OpenAI) -> None:
    ENDLESS.sent = 0
    ENDLESS.closed.clear()
    with pytest.raises(openai.InternalServerError, match="exceeds the limit") as info:
        oa.chat.completions.create(model="gpt-endless", messages=MESSAGES)
    assert info.value.status_code == 502
    assert ENDLESS.closed.wait(10), "the gateway kept reading the endless body"
    # The gateway stopped at the limit; socket buffers account for the rest.
    assert ENDLESS.sent < 64 * LIMIT


def test_gw_gzip_bomb_is_refused_at_the_decompressed_limit(
    oa: openai.OpenAI, fake_upstream: Any
) -> None:
    inflated = b'{"padding": "' + b" " * (64 * LIMIT) + b'"}'
    bomb = gzip.compress(inflated, compresslevel=9)
    assert len(bomb) < LIMIT // 4
    fake_upstream.enqueue(Reply(body=bomb, headers={"content-encoding": "gzip"}))
    with pytest.raises(openai.InternalServerError, match="exceeds the limit") as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == 502
    assert fake_upstream.last_request.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-20250514"])
def test_gw_stream_over_the_limit_ends_with_an_error_event(
    oa: openai.OpenAI, fake_upstream: Any, model: str
) -> None:
    fake_upstream.enqueue(Reply(text="word " * STREAM_LIMIT))
    received = []
    with pytest.raises(openai.APIError, match="exceeds the limit"):
        for chunk in oa.chat.completions.create(model=model, messages=MESSAGES, stream=True):
            received.append(chunk)
    assert received, "the stream started before the limit was reached"


def test_gw_replies_under_the_limits_pass(oa: openai.OpenAI, fake_upstream: Any) -> None:
    fake_upstream.enqueue(Reply(text="fine " * 1000))
    reply = oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert (reply.choices[0].message.content or "").startswith("fine fine")
    text = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        if chunk.choices
    )
    assert text
