"""SIGTERM drains a real llm-gateway process: no new connections, in-flight requests finish
within the drain time, and a stream still running at the deadline ends with an error event in
the client's dialect, logged as cut (no tracebacks)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator

import anthropic
import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply
from plano_testkit.services import RunningService, run_service

WAIT = 20.0


@pytest.fixture(scope="module")
def shared_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def upstream(shared_upstream: FakeUpstream) -> FakeUpstream:
    shared_upstream.reset()
    return shared_upstream


def _config(base_url: str) -> str:
    return (
        "version: v0.3.0\nlisteners:\n  - type: model\n    name: egress\n    port: 12001\n"
        "model_providers:\n  - model: openai/gpt-4o-mini\n    access_key: sk-test\n"
        f"    base_url: {base_url}\n    default: true\n"
        "  - model: anthropic/claude-sonnet-4-0\n    access_key: sk-ant-test\n"
        f"    base_url: {base_url}\n"
    )


def _slow_reply(words: int, gap: float) -> Reply:
    return Reply(text=" ".join(f"w{i}" for i in range(words)), chunk_gap=gap)


class _Stream(threading.Thread):
    """Reads one streamed completion with the official SDK in the background."""

    def __init__(self, url: str, anthropic_sdk: bool) -> None:
        super().__init__(daemon=True)
        self.url, self.anthropic_sdk = url, anthropic_sdk
        self.chunks = 0
        self.finished = False
        self.first_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            if self.anthropic_sdk:
                self._anthropic()
            else:
                self._openai()
            self.finished = True
        except BaseException as exc:
            self.error = exc
        finally:
            self.first_event.set()

    def _openai(self) -> None:
        with openai.OpenAI(base_url=f"{self.url}/v1", api_key="k", max_retries=0) as sdk:
            stream = sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            for _ in stream:
                self._got_one()

    def _anthropic(self) -> None:
        with anthropic.Anthropic(base_url=self.url, api_key="k", max_retries=0) as sdk:
            stream = sdk.messages.create(
                model="anthropic/claude-sonnet-4-0",
                max_tokens=50,
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
            )
            for _ in stream:
                self._got_one()

    def _got_one(self) -> None:
        self.chunks += 1
        self.first_event.set()


def _start_stream(service: RunningService, anthropic_sdk: bool = False) -> _Stream:
    stream = _Stream(service.url, anthropic_sdk)
    stream.start()
    assert stream.first_event.wait(WAIT), "no first event"
    return stream


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except OSError:
        return True


def test_sigterm_lets_a_short_stream_finish_and_refuses_new_connections(
    upstream: FakeUpstream,
) -> None:
    upstream.enqueue(_slow_reply(words=12, gap=0.1))
    env = {"PLANO_DRAIN_SECONDS": "15", "PLANO_ACCESS_LOG": "stderr"}
    with run_service("llm_gateway", _config(upstream.url), env=env) as service:
        stream = _start_stream(service)
        service.process.send_signal(signal.SIGTERM)
        service.wait_for_log("draining for up to 15s")
        assert _refused(service.port)
        stream.join(WAIT)
        assert service.process.wait(WAIT) == 0
    assert stream.error is None and stream.finished
    assert stream.chunks >= 12
    logs = service.stderr_text()
    assert "cutting" not in logs and "Traceback" not in logs
    assert "llm-gateway stopped" in logs


@pytest.mark.parametrize("anthropic_sdk", [False, True], ids=["openai", "anthropic"])
def test_a_stream_running_at_the_drain_deadline_ends_with_an_error_event(
    upstream: FakeUpstream, anthropic_sdk: bool
) -> None:
    upstream.enqueue(_slow_reply(words=200, gap=0.1))
    env = {"PLANO_DRAIN_SECONDS": "1", "PLANO_ACCESS_LOG": "stderr"}
    with run_service("llm_gateway", _config(upstream.url), env=env) as service:
        stream = _start_stream(service, anthropic_sdk=anthropic_sdk)
        signaled = time.monotonic()
        service.process.send_signal(signal.SIGTERM)
        stream.join(WAIT)
        assert service.process.wait(WAIT) == 0
        ended = time.monotonic() - signaled
    # The SDK raises the error event it received, in its own dialect's error type.
    error_type = anthropic.APIError if anthropic_sdk else openai.APIError
    assert isinstance(stream.error, error_type), repr(stream.error)
    assert "the gateway is shutting down" in str(stream.error)
    assert stream.chunks > 5  # the stream kept flowing during the drain
    assert ended < 15
    logs = service.stderr_text()
    assert "drain deadline passed: cutting 1 in-flight request(s)" in logs
    access = [line for line in logs.splitlines() if "cut at shutdown" in line]
    assert len(access) == 1 and '"status":503' in access[0], access
    assert "Traceback" not in logs


def test_a_request_still_waiting_for_its_upstream_at_the_deadline_gets_503(
    upstream: FakeUpstream,
) -> None:
    upstream.enqueue(Reply(text="late", first_byte_delay=6))
    env = {"PLANO_DRAIN_SECONDS": "1", "PLANO_ACCESS_LOG": "stderr"}
    with run_service("llm_gateway", _config(upstream.url), env=env) as service:
        outcome: list[BaseException] = []

        def call() -> None:
            with openai.OpenAI(base_url=f"{service.url}/v1", api_key="k", max_retries=0) as sdk:
                try:
                    sdk.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                    )
                except openai.APIError as exc:
                    outcome.append(exc)

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        upstream.wait_for_requests_sync(1, within=WAIT)
        service.process.send_signal(signal.SIGTERM)
        caller.join(WAIT)
        assert service.process.wait(WAIT) == 0
    assert len(outcome) == 1
    error = outcome[0]
    assert isinstance(error, openai.InternalServerError) and error.status_code == 503
    assert "the gateway is shutting down" in str(error)
    assert "Traceback" not in service.stderr_text()
