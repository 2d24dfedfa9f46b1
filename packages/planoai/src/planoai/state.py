"""The state folder: PID files, logs and the last `up` plan.

`PLANOAI_HOME` names the folder; the default is `~/.planoai`. Layout:
`run/<service>.pid`, `logs/<service>.log`, `run/plan.json` and `config.yaml` (the pass-through
config written when `up` gets no file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HOME_ENV", "StateDir", "state_dir"]

HOME_ENV = "PLANOAI_HOME"


@dataclass(frozen=True)
class StateDir:
    """Paths inside the state folder."""

    root: Path

    @property
    def run(self) -> Path:
        """Folder of the PID files and the plan."""
        return self.root / "run"

    @property
    def logs(self) -> Path:
        """Folder of the service logs."""
        return self.root / "logs"

    @property
    def plan_file(self) -> Path:
        """What the last `up` started (JSON)."""
        return self.run / "plan.json"

    @property
    def default_config(self) -> Path:
        """Where `up` without a file writes its pass-through config."""
        return self.root / "config.yaml"

    def pid_file(self, service: str) -> Path:
        """The PID file of a service."""
        return self.run / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        """The log file (stdout and stderr) of a service."""
        return self.logs / f"{service}.log"

    def ensure(self) -> None:
        """Create the folders (private to the user)."""
        for folder in (self.root, self.run, self.logs):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def state_dir() -> StateDir:
    """The state folder from `PLANOAI_HOME`, else `~/.planoai`."""
    raw = os.environ.get(HOME_ENV, "").strip()
    return StateDir(Path(raw).expanduser() if raw else Path.home() / ".planoai")
