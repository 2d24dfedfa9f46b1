"""Start the planned services as local processes, wait for health, stop them by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from planoai.plan import ServicePlan
from planoai.state import StateDir

__all__ = [
    "StartError",
    "Started",
    "alive",
    "read_pid",
    "start_service",
    "stop_pid",
    "wait_healthy",
]

POLL_SECONDS = 0.1
HEALTH_TIMEOUT = 2.0


class StartError(RuntimeError):
    """A service exited or stayed unhealthy; the message is one line."""


@dataclass
class Started:
    """A service process started by `up`."""

    plan: ServicePlan
    process: subprocess.Popen[bytes]
    log_file: Path


def start_service(plan: ServicePlan, state: StateDir, environ: Mapping[str, str]) -> Started:
    """Spawn the service in its own session (it outlives `planoai`), logging to its file."""
    log_file = state.log_file(plan.name)
    env = {**environ, **plan.env}
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            plan.command(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state.pid_file(plan.name).write_text(f"{process.pid}\n")
    return Started(plan, process, log_file)


def wait_healthy(started: Started, timeout: float) -> None:
    """Poll `/healthz` until 200; raise `StartError` if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        code = started.process.poll()
        if code is not None:
            reason = _last_line(started.log_file) or "no output"
            raise StartError(f"{started.plan.name} exited with status {code}: {reason}")
        if _healthy(started.plan.health_url):
            return
        if time.monotonic() >= deadline:
            raise StartError(
                f"{started.plan.name} not healthy at {started.plan.health_url} after "
                f"{timeout:.0f}s; see {started.log_file}"
            )
        time.sleep(POLL_SECONDS)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _last_line(path: Path) -> str:
    try:
        with path.open("rb") as log:
            log.seek(max(0, path.stat().st_size - 4096))
            lines = log.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:300] if lines else ""


def read_pid(path: Path) -> int | None:
    """The PID in a PID file, or None when it is missing or unreadable."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def alive(pid: int, module: str | None = None) -> bool:
    """Whether `pid` runs (and, where /proc tells, runs `-m <module>`)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if module is None or not cmdline.exists():
        return True
    try:
        parts = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    if _is_zombie(pid):
        return False
    return module.encode() in parts


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def stop_pid(
    pid: int, module: str, timeout: float, reap: Callable[[], object] | None = None
) -> bool:
    """SIGTERM, wait up to `timeout`, then SIGKILL; True when it had to kill."""
    if not alive(pid, module):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reap is not None:
            reap()
        if not alive(pid, module):
            return False
        time.sleep(POLL_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if reap is not None:
        reap()
    return True
