"""Small test servers of the testkit (fake agents, filter servers) run as processes.

with filter_server("json") as server, fake_agent("flights") as agent:
    ...  # server.url, agent.url
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from plano_testkit.services import free_port

__all__ = ["Helper", "fake_agent", "filter_server", "helper"]


@dataclass
class Helper:
    """A helper process listening on `port`."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def get_json(self, path: str) -> Any:
        """GET a JSON document from it."""
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.loads(response.read())


def _wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: helper exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"{url}: helper not up in time")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def helper(module: str, args: Sequence[str], port: int | None = None) -> Iterator[Helper]:
    """Run ``python -m module --port N args...`` until the block ends."""
    chosen = port or free_port()
    command = [sys.executable, "-m", module, "--port", str(chosen), *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_up(f"http://127.0.0.1:{chosen}", process)
        yield Helper(process, chosen)
    finally:
        _stop(process)


def filter_server(
    mode: str, port: int | None = None, slow: float = 5.0
) -> contextlib.AbstractContextManager[Helper]:
    """A filter server (MCP in ``mode`` json or sse, plus the HTTP filters)."""
    args = ["--mcp-mode", mode, "--slow-seconds", str(slow)]
    return helper("plano_testkit.filter_servers", args, port)


def fake_agent(name: str, delay: float = 0.0) -> contextlib.AbstractContextManager[Helper]:
    """A fake Chat Completions agent."""
    return helper("plano_testkit.fake_agent", ["--name", name, "--delay", str(delay)])
