"""Every service starts from its console command, says what it serves, and stops on SIGTERM;
every startup problem is one line on stderr and exit status 2."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from plano_testkit.services import free_port

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "examples" / "quickstart.yaml"
SERVICES = ["llm-gateway", "prompt-gateway", "brightstaff"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The quickstart config with its model listener on a free port (brightstaff binds it)."""
    text = QUICKSTART.read_text(encoding="utf-8")
    assert "port: 12000" in text
    path = tmp_path / "quickstart.yaml"
    path.write_text(text.replace("port: 12000", f"port: {free_port()}"), encoding="utf-8")
    return path


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


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def start_fails(
    service: str, config: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a service expected to refuse to start; returns the finished process."""
    command = [script(service), "--config", str(config), "--host", "127.0.0.1", *args]
    if "--port" not in args:
        command += ["--port", str(free_port())]
    environ = {**_base_env(), **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=30, env=environ)


def _base_env() -> dict[str, str]:
    """The environment without PLANO_ knobs; /metrics on the main port unless a test says."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PLANO_")}
    return {**environ, "PLANO_METRICS_PORT": "0"}


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other process is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("service", SERVICES)
def test_service_starts_answers_healthz_and_stops_on_sigterm(service: str, config: Path) -> None:
    port = free_port()
    cmd = [script(service), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_base_env())
    try:
        wait_healthy(port, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert f"{service} listening on http://127.0.0.1:{port} (" in err
    assert f"{service} stopped" in err


def test_gateway_logs_its_summary_and_serves_metrics_on_its_own_port(
    tmp_path: Path, config: Path
) -> None:
    port, metrics_port = free_port(), free_port()
    cmd = [script("llm-gateway"), "--config", str(config), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--metrics-port", str(metrics_port)]
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(cmd, stderr=stderr, env=_base_env())
    try:
        wait_healthy(port, proc)
        assert status_of(f"http://127.0.0.1:{port}/metrics") == 404
        assert status_of(f"http://127.0.0.1:{metrics_port}/metrics") == 200
        assert status_of(f"http://127.0.0.1:{metrics_port}/v1/models") == 404
        assert status_of(f"http://127.0.0.1:{port}/v1/models") == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = log.read_text()
    assert f"llm-gateway starting with config {config}" in err
    assert f"llm-gateway listening on http://127.0.0.1:{port} (main)" in err
    assert f"llm-gateway listening on http://127.0.0.1:{metrics_port} (metrics)" in err
    assert "models: 3 configured" in err
    assert "openai/gpt-4o-mini -> https://api.openai.com (client's key, default)" in err
    assert "aliases: none" in err
    assert "rate limits: 0 rule(s), backend memory" in err
    assert "llm-gateway stopping" in err and "llm-gateway stopped" in err
    assert "Traceback" not in err


def test_json_log_format_and_log_level(tmp_path: Path, config: Path) -> None:
    port = free_port()
    cmd = [script("llm-gateway"), "--config", str(config), "--host", "127.0.0.1"]
    log = tmp_path / "stderr.log"
    env = {**_base_env(), "PLANO_LOG_FORMAT": "json", "PLANO_LOG_LEVEL": "warning"}
    for extra, expect_info in ((["--port", str(port)], False), (["--log-level", "info"], True)):
        if expect_info:
            port = free_port()
            extra += ["--port", str(port)]
        with log.open("wb") as stderr:
            proc = subprocess.Popen(cmd + extra, stderr=stderr, env=env)
        try:
            wait_healthy(port, proc)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        messages = [line["message"] for line in lines]
        listening = f"llm-gateway listening on http://127.0.0.1:{port} (main)"
        assert (listening in messages) is expect_info, messages


@pytest.mark.parametrize("service", SERVICES)
def test_missing_config_exits_2_with_one_line(service: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = subprocess.run(
        [script(service), "--config", str(missing)], capture_output=True, text=True, timeout=30
    )
    assert_one_line_exit_2(result, "nope.yaml")


@pytest.mark.parametrize("service", SERVICES)
def test_invalid_config_exits_2(service: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: v0.3.0\nlisteners: [\n", encoding="utf-8")
    result = subprocess.run(
        [script(service), "--config", str(bad)], capture_output=True, text=True, timeout=30
    )
    assert_one_line_exit_2(result)


@pytest.mark.parametrize("service", SERVICES)
def test_port_in_use_exits_2_with_one_line(service: str, config: Path, taken_port: int) -> None:
    result = start_fails(service, config, "--port", str(taken_port))
    assert_one_line_exit_2(
        result, f"{service}: cannot listen on ", f"listener 127.0.0.1:{taken_port}", "in use"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_port_in_use_names_the_metrics_listener(
    service: str, config: Path, taken_port: int
) -> None:
    result = start_fails(service, config, "--metrics-port", str(taken_port))
    assert_one_line_exit_2(result, f"metrics listener 127.0.0.1:{taken_port}", "in use")


EVERY_SERVICE_CASES = [
    (["--port", "70000"], {}, "--port: expected a port number 1-65535"),
    (["--host", "256.1.1.1"], {}, "cannot listen on "),
    ([], {"PLANO_DRAIN_SECONDS": "soon"}, "PLANO_DRAIN_SECONDS: expected a number"),
]
SHARED_CODE_CASES = [
    (["--host", "no-such-host.invalid"], {}, "cannot listen on main listener"),
    (["--log-level", "loud"], {}, "--log-level/PLANO_LOG_LEVEL: expected one of"),
]


@pytest.mark.parametrize(
    ("service", "args", "env", "fragment"),
    [(service, *case) for service in SERVICES for case in EVERY_SERVICE_CASES]
    + [("llm-gateway", *case) for case in SHARED_CODE_CASES],
)
def test_bad_address_or_setting_exits_2_with_one_line(
    service: str, config: Path, args: list[str], env: dict[str, str], fragment: str
) -> None:
    assert_one_line_exit_2(start_fails(service, config, *args, env=env), f"{service}: ", fragment)


def test_bad_gateway_setting_exits_2_with_one_line(config: Path) -> None:
    result = start_fails("llm-gateway", config, env={"PLANO_RATELIMIT_BACKEND": "bogus"})
    assert_one_line_exit_2(
        result, "llm-gateway: invalid setting: PLANO_RATELIMIT_BACKEND: expected 'memory'"
    )
