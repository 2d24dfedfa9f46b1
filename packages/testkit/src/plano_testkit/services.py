"""Run one of the Plano services as a subprocess for a test.

    with run_service("llm_gateway", config_yaml, env={"OPENAI_API_KEY": "k"}) as service:
        httpx.post(service.url + "/v1/chat/completions", ...)
        assert "listening" in service.stderr_text()

The config is YAML text (a `str`, written to a temporary directory) or an existing file (a
`Path`). The service starts as `python -m <package> --config ... --host 127.0.0.1 --port N` on a
free port; the helper waits for `GET /healthz` to answer 200, and on exit sends SIGTERM and waits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = [
    "HEALTH_PATH",
    "POLL_SECONDS",
    "RunningService",
    "ServiceStartError",
    "free_port",
    "run_service",
]

HEALTH_PATH = "/healthz"
SEPARATE_METRICS_PACKAGES = frozenset({"brightstaff"})
POLL_SECONDS = 0.05


class ServiceStartError(RuntimeError):
    """The service exited or did not become healthy in time; the message holds its stderr."""


_HANDED_OUT: set[int] = set()
_HANDED_OUT_LIMIT = 8192


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now and not handed out before by this process.

    The kernel may offer a port it offered a moment ago (nothing holds it between the two
    calls), so a test asking for several ports at once could get one twice; remembering the
    ports already given keeps them distinct.
    """
    if len(_HANDED_OUT) >= _HANDED_OUT_LIMIT:
        _HANDED_OUT.clear()
    while True:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as sock:
            sock.bind((host.strip("[]"), 0))
            port = int(sock.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@dataclass
class RunningService:
    """A service subprocess started by `run_service`."""

    package: str
    url: str
    port: int
    config_path: Path
    process: subprocess.Popen[bytes]
    stderr_path: Path
    stdout_path: Path
    final_stderr: str | None = None
    final_stdout: str | None = None

    def stderr_text(self) -> str:
        """Everything the service wrote to stderr so far (its logs); kept after it stops."""
        if self.final_stderr is not None:
            return self.final_stderr
        return self.stderr_path.read_text(errors="replace")

    def stdout_text(self) -> str:
        """Everything the service wrote to stdout so far; kept after it stops."""
        if self.final_stdout is not None:
            return self.final_stdout
        return self.stdout_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 5.0) -> str:
        """Wait until stderr contains `text`; returns the stderr so far."""
        deadline = time.monotonic() + timeout
        while True:
            logs = self.stderr_text()
            if text in logs:
                return logs
            if time.monotonic() >= deadline:
                raise AssertionError(f"{text!r} not in {self.package} stderr:\n{logs}")
            time.sleep(POLL_SECONDS)

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, else None."""
        return self.process.poll()


@contextlib.contextmanager
def run_service(
    package: str,
    config: str | Path,
    *,
    env: Mapping[str, str | None] | None = None,
    port: int | None = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 30.0,
    stop_timeout: float = 10.0,
) -> Iterator[RunningService]:
    """Start `python -m <package>` with a config, wait until healthy, yield, then SIGTERM it.

    `env` overrides the inherited environment (a None value removes a variable). Raises
    `ServiceStartError` (with the service's stderr) if it exits or is not healthy in time.
    """
    with tempfile.TemporaryDirectory(prefix=f"{package}-") as workdir:
        directory = Path(workdir)
        config_path = _write_config(config, directory)
        chosen_port = port or free_port()
        command = [
            sys.executable,
            "-m",
            package,
            "--config",
            str(config_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(chosen_port),
            *_own_metrics_port(package, extra_args, env),
            *extra_args,
        ]
        stdout_path = directory / "stdout.log"
        stderr_path = directory / "stderr.log"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = _spawn(command, _environment(env), stdout, stderr, directory)
        service = RunningService(
            package=package,
            url=f"http://127.0.0.1:{chosen_port}",
            port=chosen_port,
            config_path=config_path,
            process=process,
            stderr_path=stderr_path,
            stdout_path=stdout_path,
        )
        try:
            _wait_healthy(service, startup_timeout)
            yield service
        finally:
            _stop(process, stop_timeout)
            service.final_stderr = service.stderr_text()
            service.final_stdout = service.stdout_text()


def _own_metrics_port(
    package: str, extra_args: Sequence[str], env: Mapping[str, str | None] | None
) -> list[str]:
    """A free metrics port for services that bind one by default (brightstaff's :9092).

    Tests run in parallel; a default port would collide between them.
    """
    if package not in SEPARATE_METRICS_PACKAGES or "--metrics-port" in extra_args:
        return []
    if env is not None and env.get("PLANO_METRICS_PORT"):
        return []
    return ["--metrics-port", str(free_port())]


def _write_config(config: str | Path, directory: Path) -> Path:
    if isinstance(config, Path):
        return config.resolve()
    path = directory / "config.yaml"
    path.write_text(config)
    return path


def _environment(overrides: Mapping[str, str | None] | None) -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONUNBUFFERED"] = "1"
    for name, value in (overrides or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def _spawn(
    command: list[str], environment: dict[str, str], stdout: IO[bytes], stderr: IO[bytes], cwd: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=environment, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, cwd=cwd
    )


def _wait_healthy(service: RunningService, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    health_url = service.url + HEALTH_PATH
    while True:
        code = service.returncode
        if code is not None:
            raise ServiceStartError(
                f"{service.package} exited with status {code} before becoming healthy:\n"
                f"{service.stderr_text()}"
            )
        if _healthy(health_url):
            return
        if time.monotonic() >= deadline:
            raise ServiceStartError(
                f"{service.package} not healthy after {timeout:.0f}s:\n{service.stderr_text()}"
            )
        time.sleep(POLL_SECONDS)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
