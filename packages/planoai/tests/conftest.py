"""Helpers of the planoai tests: the CLI as a subprocess with a private state folder and ports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from plano_testkit import free_port

PORT_VARS = (
    "PLANOAI_LLM_GATEWAY_PORT",
    "PLANOAI_BRIGHTSTAFF_PORT",
    "PLANOAI_BRIGHTSTAFF_METRICS_PORT",
    "PLANOAI_PROMPT_GATEWAY_PORT",
)


@dataclass
class Cli:
    """Runs `python -m planoai` with a private state folder and free internal ports."""

    home: Path
    env: dict[str, str]

    def port(self, name: str) -> int:
        """The port given to a service through its PLANOAI_*_PORT variable."""
        return int(self.env[name])

    def run(
        self,
        args: Sequence[str],
        extra_env: Mapping[str, str | None] | None = None,
        timeout: float = 90,
    ) -> subprocess.CompletedProcess[str]:
        """Run the CLI to completion; returns its status and output."""
        env = dict(self.env)
        for key, value in (extra_env or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return subprocess.run(
            [sys.executable, "-m", "planoai", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    @staticmethod
    def gone(pid: int) -> bool:
        """True when `pid` no longer runs (or is a zombie)."""
        return process_gone(pid)

    def pids(self) -> list[int]:
        """PIDs recorded in the state folder."""
        run = self.home / "run"
        return [int(p.read_text()) for p in run.glob("*.pid")] if run.is_dir() else []


def process_gone(pid: int) -> bool:
    """True when `pid` no longer runs (or is a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rpartition(")")[2].split()[:1] == ["Z"]


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    """A CLI whose services use free ports; `down` runs at the end whatever happened."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLANOAI_")}
    env.update({name: str(free_port()) for name in PORT_VARS})
    env.update(
        {"PLANOAI_HOME": str(tmp_path / "home"), "PLANO_ACCESS_LOG": "off", "COLUMNS": "200"}
    )
    env.pop("PLANO_METRICS_PORT", None)
    runner = Cli(home=tmp_path / "home", env=env)
    try:
        yield runner
    finally:
        runner.run(["down", "--timeout", "10"])
