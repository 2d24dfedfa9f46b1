"""Hostile clients against a real llm-gateway process: slow or withheld request heads and
bodies are cut after their timeouts, body memory stays inside the shared budget, and
connect/request/close churn does not pile up file descriptors."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from plano_testkit.services import RunningService, run_service

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "examples" / "quickstart.yaml"
MIB = 1024 * 1024
WAIT = 15.0  # upper bound for anything expected within a few seconds


def _connect(service: RunningService) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=WAIT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or WAIT passes)."""
    sock.settimeout(WAIT)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def _peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.fixture
def gateway() -> Iterator[RunningService]:
    env = {
        "PLANO_BODY_TIMEOUT_SECONDS": "3",
        "PLANO_HEADER_TIMEOUT_SECONDS": "1",
        "PLANO_BODY_BUDGET_BYTES": str(8 * MIB),
        "PLANO_KEEP_ALIVE_SECONDS": "60",
        "PLANO_ACCESS_LOG": "off",
    }
    with run_service("llm_gateway", CONFIG, env=env) as service:
        yield service


def _withhold_body_end(service: RunningService, size: int, results: list[int]) -> None:
    """Declare `size` bytes, send all but the last KiB, then wait for the server's answer."""
    sock = _connect(service)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        f"content-length: {size}\r\n\r\n"
    ).encode()
    with contextlib.suppress(OSError):  # refused mid-body: the answer is still readable
        sock.sendall(head + b" " * (size - 1024))
    results.append(_status(_read_until_closed(sock)))
    sock.close()


def test_withheld_body_ends_are_cut_and_body_memory_stays_in_the_budget(
    gateway: RunningService,
) -> None:
    pid = gateway.process.pid
    peak_before = _peak_rss_bytes(pid)
    results: list[int] = []
    started = time.monotonic()
    threads = [
        threading.Thread(target=_withhold_body_end, args=(gateway, 4 * MIB, results))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    elapsed = time.monotonic() - started
    assert len(results) == 20
    # 8 MiB budget: two 4 MiB bodies are admitted and cut after the 3 s body timeout (408);
    # the other 18 are refused at once (503) instead of being buffered.
    assert sorted(results) == [408] * 2 + [503] * 18, results
    assert elapsed < WAIT
    # 80 MiB were offered; the server held at most the budget (plus copies and buffers).
    assert _peak_rss_bytes(pid) - peak_before < 48 * MIB
    assert gateway.returncode is None


def test_a_dripped_request_head_is_cut_after_the_header_timeout(gateway: RunningService) -> None:
    def drip() -> float:
        sock = _connect(gateway)
        started = time.monotonic()
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
        sock.settimeout(0.3)
        with contextlib.suppress(OSError):  # a timeout while waiting, or the server's reset
            for index in range(100):
                sock.sendall(f"x-drip-{index}: 1\r\n".encode())
                with contextlib.suppress(TimeoutError):
                    if sock.recv(1) == b"":
                        break
        result = _read_until_closed(sock)
        sock.close()
        assert result == b""
        return time.monotonic() - started

    with ThreadPoolExecutor(10) as pool:
        durations = list(pool.map(lambda _: drip(), range(10)))
    assert max(durations) < 10, durations


def test_a_silent_connection_is_closed_after_the_header_timeout(gateway: RunningService) -> None:
    sock = _connect(gateway)
    started = time.monotonic()
    assert _read_until_closed(sock) == b""
    assert time.monotonic() - started < 10
    sock.close()


def test_connect_request_close_churn_keeps_fds_bounded(gateway: RunningService) -> None:
    pid = gateway.process.pid
    baseline = _open_fds(pid)

    def cycle(_: int) -> int:
        with _connect(gateway) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            data = b""
            while b"\r\n\r\nok" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        return _status(data)

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(cycle, range(600)))
    assert statuses == [200] * 600
    # Every client closed its side; with a 60 s keep-alive the server must still let go of
    # each connection at once rather than when the keep-alive timer fires.
    deadline = time.monotonic() + 5
    while _open_fds(pid) > baseline + 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _open_fds(pid) <= baseline + 4, (baseline, _open_fds(pid))
