"""Failures reach the official SDKs with the right status, exception class and message."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.raw_server import RawServer
from plano_testkit.recording import Outcome
from plano_testkit.reply import Reply

MESSAGES: Any = [{"role": "user", "content": "hi"}]


class ResettingServer(RawServer):
    """Accepts connections, reads the request, and closes without answering."""

    def answer(self, connection: socket.socket) -> None:
        connection.recv(65536)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class NotHttpServer(RawServer):
    """Answers every request with a line that is not HTTP."""

    def answer(self, connection: socket.socket) -> None:
        connection.recv(65536)
        connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


class LingeringStreamServer(RawServer):
    """Streams a complete chat completion, then keeps the connection open without ending it."""

    EVENTS = (
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"all here"},'
        b'"finish_reason":null}]}\n\n'
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )

    def answer(self, connection: socket.socket) -> None:
        connection.recv(65536)
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        chunk = b"%x\r\n%s\r\n" % (len(self.EVENTS), self.EVENTS)
        connection.sendall(head + b"transfer-encoding: chunked\r\n\r\n" + chunk)
        connection.settimeout(30)
        connection.recv(1)  # returns when the gateway closes its side


RESETTING = ResettingServer()
NOT_HTTP = NotHttpServer()
LINGERING = LingeringStreamServer()


def drain_anthropic_stream(
    an: anthropic.Anthropic, model: str, *, match: str | None = None, max_tokens: int = 50
) -> None:
    """Read an Anthropic SDK stream to its end and expect it to raise APIStatusError."""
    with (
        pytest.raises(anthropic.APIStatusError, match=match),
        an.messages.stream(model=model, max_tokens=max_tokens, messages=MESSAGES) as stream,
    ):
        for _ in stream.text_stream:
            pass


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PROVIDERS = {
    "openai/gpt-4o-mini": "sk-openai",
    "anthropic/claude-sonnet-4-20250514": "sk-anthropic",
    "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0": "bedrock-key",
    "gemini/gemini-2.0-flash": "sk-gemini",
}


@pytest.fixture(scope="module")
def config(fake_upstream: FakeUpstream, gateway_config: Any) -> Callable[..., str]:
    """Config text with the listener's retries, and providers that fail."""

    def build(*, retries: int = 0) -> str:
        return gateway_config(
            fake_upstream.url,
            PROVIDERS,
            default="openai/gpt-4o-mini",
            listener=f"    timeout: 2s\n    max_retries: {retries}\n",
            providers=f"""\
  - model: openai/gpt-unreachable
    access_key: sk-x
    base_url: http://127.0.0.1:{closed_port()}
  - model: mistral/mistral-small-latest
  - model: openai/gpt-resetting
    access_key: sk-x
    base_url: http://127.0.0.1:{RESETTING.port}
  - model: openai/gpt-not-http
    access_key: sk-x
    base_url: http://127.0.0.1:{NOT_HTTP.port}
  - model: openai/gpt-lingering
    access_key: sk-x
    base_url: http://127.0.0.1:{LINGERING.port}
""",
        )

    return build


@pytest.fixture(scope="module")
def gateway(start_gateway: Any, config: Callable[..., str]) -> Any:
    return start_gateway(config())


@pytest.fixture(scope="module")
def oa(gateway: Any) -> Iterator[openai.OpenAI]:
    with gateway.openai_sdk("sk-c") as sdk:
        yield sdk


@pytest.fixture(scope="module")
def an(gateway: Any) -> Iterator[anthropic.Anthropic]:
    with gateway.anthropic_sdk("sk-c") as sdk:
        yield sdk


STATUS_CASES = [
    (400, openai.BadRequestError, anthropic.BadRequestError),
    (401, openai.AuthenticationError, anthropic.AuthenticationError),
    (404, openai.NotFoundError, anthropic.NotFoundError),
    (429, openai.RateLimitError, anthropic.RateLimitError),
    (500, openai.InternalServerError, anthropic.InternalServerError),
    (503, openai.InternalServerError, anthropic.InternalServerError),
]


@pytest.mark.parametrize(("status", "openai_error", "anthropic_error"), STATUS_CASES)
@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-mini",
        "claude-sonnet-4-20250514",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "gemini-2.0-flash",
    ],
)
def test_gw_upstream_errors_keep_status_and_message(
    oa: openai.OpenAI,
    an: anthropic.Anthropic,
    fake_upstream: FakeUpstream,
    status: int,
    openai_error: type[Exception],
    anthropic_error: type[Exception],
    model: str,
) -> None:
    message = f"upstream says no ({status})"
    fake_upstream.enqueue(Reply.error(status, message), Reply.error(status, message))
    with pytest.raises(openai_error) as oa_info:
        oa.chat.completions.create(model=model, messages=MESSAGES)
    assert message in str(oa_info.value)
    assert oa_info.value.status_code == status  # type: ignore[attr-defined]
    with pytest.raises(anthropic_error) as an_info:
        an.messages.create(model=model, max_tokens=10, messages=MESSAGES)
    assert message in str(an_info.value)
    assert an_info.value.status_code == status  # type: ignore[attr-defined]


def test_gw_streaming_request_upstream_error_is_an_http_error(
    oa: openai.OpenAI, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply.error(429, "slow down please"))
    with pytest.raises(openai.RateLimitError, match="slow down please"):
        for _ in oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
            pass


def test_gw_route_timeout_is_504(
    oa: openai.OpenAI, an: anthropic.Anthropic, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.enqueue(Reply(text="late", first_byte_delay=2.5))
    with pytest.raises(openai.InternalServerError, match="timed out") as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == 504
    words = " ".join(f"w{i}" for i in range(100))
    fake_upstream.enqueue(Reply(text=words, chunk_gap=0.05))
    drain_anthropic_stream(an, "gpt-4o-mini", match="timed out", max_tokens=500)


def test_gw_connection_refused_is_502(oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    with pytest.raises(openai.InternalServerError, match="upstream connection failed") as info:
        oa.chat.completions.create(model="gpt-unreachable", messages=MESSAGES)
    assert info.value.status_code == 502
    # The message gives the reason, neither the upstream's address nor aiohttp's "ssl:default".
    assert "upstream connection failed (Connection refused)" in info.value.message
    assert "127.0.0.1" not in info.value.message
    assert "ssl" not in info.value.message
    with pytest.raises(anthropic.InternalServerError) as an_info:
        an.messages.create(model="gpt-unreachable", max_tokens=5, messages=MESSAGES)
    assert an_info.value.status_code == 502


def test_gw_connection_reset_before_headers_is_502(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError, match="upstream connection failed") as info:
        oa.chat.completions.create(model="gpt-resetting", messages=MESSAGES)
    assert info.value.status_code == 502


def test_gw_upstream_answering_something_other_than_http_is_502(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError, match="invalid response") as info:
        oa.chat.completions.create(model="gpt-not-http", messages=MESSAGES)
    assert info.value.status_code == 502


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-20250514"])
def test_gw_upstream_json_body_cut_short_is_502(
    oa: openai.OpenAI, fake_upstream: FakeUpstream, model: str
) -> None:
    fake_upstream.enqueue(Reply(text="hello " * 100, cut_after_bytes=40))
    with pytest.raises(openai.InternalServerError, match="upstream response body failed") as info:
        oa.chat.completions.create(model=model, messages=MESSAGES)
    assert info.value.status_code == 502


@pytest.mark.parametrize("stream", [False, True])
def test_gw_upstream_redirect_is_not_followed(
    oa: openai.OpenAI, fake_upstream: FakeUpstream, stream: bool
) -> None:
    elsewhere = f"{fake_upstream.url}/elsewhere/v1/chat/completions"
    fake_upstream.enqueue(Reply(status=307, body=b"", headers={"location": elsewhere}))
    with pytest.raises(openai.InternalServerError, match="redirects are not followed") as info:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=stream)
    assert info.value.status_code == 502
    assert elsewhere not in str(info.value)  # the target is logged, not told to the client
    assert [r.raw_path for r in fake_upstream.requests] == ["/v1/chat/completions"]


def test_gw_malformed_json_is_400(oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    with pytest.raises(openai.BadRequestError, match="Request parsing error") as info:
        oa.post("/chat/completions", cast_to=object, content=b'{"model": "gpt-4o-mini", ')
    assert info.value.status_code == 400
    with pytest.raises(anthropic.BadRequestError, match="Request parsing error"):
        an.post("/v1/messages", cast_to=object, content=b"[1, 2")
    with pytest.raises(openai.BadRequestError, match="`messages` must be a list"):
        oa.post("/chat/completions", cast_to=object, body={"model": "gpt-4o-mini", "messages": 3})


def test_gw_unknown_model_is_404_naming_it(
    oa: openai.OpenAI, an: anthropic.Anthropic, fake_upstream: FakeUpstream
) -> None:
    with pytest.raises(openai.NotFoundError, match="no-such-model") as info:
        oa.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert "gpt-4o-mini" in str(info.value)
    with pytest.raises(anthropic.NotFoundError, match="claude-nope"):
        an.messages.create(model="claude-nope", max_tokens=5, messages=MESSAGES)
    with pytest.raises(openai.NotFoundError, match="openai/missing"):
        oa.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"x-arch-llm-provider-hint": "openai/missing"},
        )
    assert fake_upstream.requests == []


def test_gw_missing_access_key_is_400_naming_the_provider(oa: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="No access key configured") as info:
        oa.chat.completions.create(model="mistral-small-latest", messages=MESSAGES)
    assert "mistral/mistral-small-latest" in str(info.value)


def test_gw_sdk_timeout_cancels_the_upstream_request(
    gateway: Any, fake_upstream: FakeUpstream
) -> None:
    words = " ".join(f"w{i}" for i in range(200))
    fake_upstream.enqueue(Reply(text=words, first_byte_delay=0.8, chunk_gap=0.02))
    with openai.OpenAI(
        base_url=f"{gateway.url}/v1", api_key="sk-c", max_retries=0, timeout=0.4
    ) as sdk:
        with pytest.raises(openai.APITimeoutError):
            sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        record = fake_upstream.last_request
        assert record.wait_done_sync(1.0), "upstream request still open 1 s after the client left"
        assert record.outcome is Outcome.CLIENT_DISCONNECTED
        assert record.writes_sent < 20
    assert gateway.wait_metric("llm_gateway_in_flight_requests", None, 0) == 0


def test_gw_stream_cut_by_upstream_ends_with_an_error_event(
    oa: openai.OpenAI, an: anthropic.Anthropic, fake_upstream: FakeUpstream
) -> None:
    words = " ".join(f"w{i}" for i in range(20))
    fake_upstream.enqueue(Reply(text=words, cut_after_events=5))
    received = ""
    with pytest.raises(openai.APIError):
        for chunk in oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        ):
            received += "".join(c.delta.content or "" for c in chunk.choices)
    assert received.startswith("w0")
    fake_upstream.enqueue(Reply(text=words, cut_after_events=5))
    drain_anthropic_stream(an, "gpt-4o-mini")
    fake_upstream.enqueue(Reply(text=words, error_after_events=4, error_message="overloaded now"))
    drain_anthropic_stream(an, "claude-sonnet-4-20250514", match="overloaded now")


def test_gw_oversized_body_is_413(
    fake_upstream: FakeUpstream, start_gateway: Any, config: Callable[..., str]
) -> None:
    small = start_gateway(config(), {"PLANO_LLM_MAX_BODY_BYTES": "2048"})
    big: Any = [{"role": "user", "content": "x" * 5000}]
    with small.openai_sdk() as sdk:
        with pytest.raises(openai.APIStatusError, match="exceeds the limit of 2048") as info:
            sdk.chat.completions.create(model="gpt-4o-mini", messages=big)
        assert info.value.status_code == 413
        assert sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices
    with small.anthropic_sdk() as sdk_an:
        with pytest.raises(anthropic.APIStatusError) as an_info:
            sdk_an.messages.create(model="gpt-4o-mini", max_tokens=5, messages=big)
        assert an_info.value.status_code == 413
    assert all(len(r.body) < 2048 for r in fake_upstream.requests)


def test_gw_retries_on_429_and_5xx(
    fake_upstream: FakeUpstream, start_gateway: Any, config: Callable[..., str]
) -> None:
    retrying = start_gateway(config(retries=2))
    with retrying.openai_sdk() as sdk:
        fake_upstream.enqueue(
            Reply.error(429, "busy", headers={"retry-after": "0"}),
            Reply.error(503, "down"),
            Reply(text="third time lucky"),
        )
        started = time.monotonic()
        completion = sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert completion.choices[0].message.content == "third time lucky"
        assert time.monotonic() - started < 5
        assert len(fake_upstream.requests) == 3
        retries = {"provider": "openai/gpt-4o-mini"}
        assert retrying.wait_metric("llm_gateway_upstream_retries_total", retries, 2) == 2
        fake_upstream.reset()
        fake_upstream.enqueue(*[Reply.error(500, "always broken")] * 3)
        with pytest.raises(openai.InternalServerError, match="always broken"):
            sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert len(fake_upstream.requests) == 3
        fake_upstream.reset()
        fake_upstream.enqueue(Reply.error(400, "bad input"))
        with pytest.raises(openai.BadRequestError):
            sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert len(fake_upstream.requests) == 1
        with pytest.raises(openai.InternalServerError) as info:
            sdk.chat.completions.create(model="gpt-unreachable", messages=MESSAGES)
        assert info.value.status_code == 502


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"<html>bad gateway page</html>", "text/html"), (b'data: {"a": 1}\n\n', "text/event-stream")],
)
def test_gw_upstream_200_with_a_non_json_body_is_502(
    oa: openai.OpenAI,
    an: anthropic.Anthropic,
    fake_upstream: FakeUpstream,
    body: bytes,
    content_type: str,
) -> None:
    for model in ("gpt-4o-mini", "claude-sonnet-4-20250514"):
        fake_upstream.enqueue(Reply(body=body, content_type=content_type))
        with pytest.raises(openai.InternalServerError, match="JSON is malformed") as info:
            oa.chat.completions.create(model=model, messages=MESSAGES)
        assert info.value.status_code == 502
        fake_upstream.enqueue(Reply(body=body, content_type=content_type))
        with pytest.raises(anthropic.InternalServerError) as an_info:
            an.messages.create(model=model, max_tokens=5, messages=MESSAGES)
        assert an_info.value.status_code == 502


@pytest.mark.parametrize("cut_after_bytes", [150, 333, 517])
def test_gw_pass_through_stream_cut_mid_event_ends_with_an_error_event(
    oa: openai.OpenAI, an: anthropic.Anthropic, fake_upstream: FakeUpstream, cut_after_bytes: int
) -> None:
    words = " ".join(f"w{i}" for i in range(50))
    fake_upstream.enqueue(Reply(text=words, cut_after_bytes=cut_after_bytes))
    with pytest.raises(openai.APIError, match=r"upstream stream failed|ended before"):
        for _ in oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
            pass
    fake_upstream.enqueue(Reply(text=words, cut_after_bytes=cut_after_bytes))
    drain_anthropic_stream(
        an, "claude-sonnet-4-20250514", match=r"upstream stream failed|ended before"
    )


def test_gw_oversized_chunked_body_without_length_is_413(
    fake_upstream: FakeUpstream, start_gateway: Any, config: Callable[..., str]
) -> None:
    small = start_gateway(config(), {"PLANO_LLM_MAX_BODY_BYTES": "2048"})
    piece = b"x" * 1000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(4)) + b"0\r\n\r\n"
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
        b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", small.port), timeout=5) as sock:
        sock.sendall(head + chunks)
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            received += data
    assert received.startswith(b"HTTP/1.1 413")
    assert b"exceeds the limit of 2048 bytes" in received
    assert fake_upstream.requests == []


def test_gw_retries_honour_retry_after_and_stop_once_bytes_were_sent(
    fake_upstream: FakeUpstream, start_gateway: Any, config: Callable[..., str]
) -> None:
    retrying = start_gateway(config(retries=2))
    with retrying.openai_sdk() as sdk:
        fake_upstream.enqueue(
            Reply.error(429, "busy", headers={"retry-after": "1"}), Reply(text="waited")
        )
        started = time.monotonic()
        completion = sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert completion.choices[0].message.content == "waited"
        assert time.monotonic() - started >= 0.9
        assert len(fake_upstream.requests) == 2
        fake_upstream.reset()
        fake_upstream.enqueue(Reply.error(429, "come back later", headers={"retry-after": "60"}))
        with pytest.raises(openai.RateLimitError, match="come back later") as info:
            sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert info.value.response.headers["retry-after"] == "60"
        assert len(fake_upstream.requests) == 1
        fake_upstream.reset()
        words = " ".join(f"w{i}" for i in range(20))
        fake_upstream.enqueue(Reply(text=words, cut_after_events=4), Reply(text="not sent"))
        with pytest.raises(openai.APIError):
            for _ in sdk.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            ):
                pass
        assert len(fake_upstream.requests) == 1


def blackhole_port() -> tuple[socket.socket, list[socket.socket]]:
    """A listening socket whose backlog is full, so further connects hang in SYN-SENT."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    return listener, fillers


def test_gw_upstream_connect_timeout_is_504(
    fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any
) -> None:
    listener, fillers = blackhole_port()
    try:
        port = listener.getsockname()[1]
        text = gateway_config(
            f"http://127.0.0.1:{port}",
            {"openai/gpt-4o-mini": "sk-x"},
            default="openai/gpt-4o-mini",
            sections="overrides:\n  upstream_connect_timeout: 300ms\n",
        )
        gateway = start_gateway(text)
        with gateway.openai_sdk() as sdk:
            started = time.monotonic()
            with pytest.raises(openai.InternalServerError, match="connect timeout") as info:
                sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            assert info.value.status_code == 504
            assert time.monotonic() - started < 5
    finally:
        for sock in (*fillers, listener):
            sock.close()


def test_gw_stream_ends_at_the_final_event_when_the_upstream_lingers(
    an: anthropic.Anthropic,
) -> None:
    # The route timeout of this module is 2 s; the upstream would keep the stream open for 30 s.
    started = time.monotonic()
    with an.messages.stream(model="gpt-lingering", max_tokens=50, messages=MESSAGES) as stream:
        message = stream.get_final_message()
    assert time.monotonic() - started < 1.5
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text == "all here"
