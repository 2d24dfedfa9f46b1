"""Every service starts from its console command, answers /healthz, and stops on SIGTERM."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "examples" / "quickstart.yaml"
SERVICES = ["llm-gateway", "prompt-gateway", "brightstaff"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"service exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                assert resp.status == 200
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("service did not become healthy")


def script(name: str) -> str:
    path = shutil.which(name)
    assert path, f"console script {name} is not installed"
    return path


@pytest.mark.parametrize("service", SERVICES)
def test_service_starts_answers_healthz_and_stops_on_sigterm(service: str) -> None:
    port = free_port()
    cmd = [script(service), "--config", str(CONFIG), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_healthy(port, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("service", SERVICES)
def test_missing_config_exits_2_with_one_line(service: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = subprocess.run(
        [script(service), "--config", str(missing)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "nope.yaml" in lines[0]


@pytest.mark.parametrize("service", SERVICES)
def test_invalid_config_exits_2(service: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: v0.3.0\nlisteners: [\n", encoding="utf-8")
    result = subprocess.run(
        [script(service), "--config", str(bad)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
