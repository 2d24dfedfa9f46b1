"""`planoai up`: check, start, wait for health, report; in the foreground, follow and stop."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from rich.console import Console

from planoai.logfiles import follow
from planoai.passthrough import passthrough_config
from planoai.plan import Plan, PlanError, build_plan
from planoai.preflight import PreflightError, check_ports, load
from planoai.processes import (
    Started,
    StartError,
    alive,
    read_pid,
    start_service,
    stop_pid,
    wait_healthy,
)
from planoai.report import listener_table, print_models, reachable_models
from planoai.runfile import save_plan
from planoai.state import StateDir

__all__ = ["UpError", "find_config", "plan_for", "up"]

DEFAULT_CONFIG_NAMES = ("config.yaml", "plano.yaml")
STOP_TIMEOUT = 40.0


class UpError(RuntimeError):
    """`up` cannot go on; the message is one line."""


def find_config(file: Path | None, state: StateDir, environ: Mapping[str, str]) -> Path:
    """The given file, else `config.yaml`/`plano.yaml` here, else a pass-through config."""
    if file is not None:
        return file
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).is_file():
            return Path(name)
    state.default_config.write_text(passthrough_config(environ))
    return state.default_config


def plan_for(path: Path, environ: Mapping[str, str], only: Sequence[str] = ()) -> Plan:
    """Load the config (every `$VAR` checked) and build the plan; raises `UpError`."""
    try:
        config, raw = load(path, environ)
        return build_plan(path.resolve(), config, raw, environ, only)
    except (PreflightError, PlanError) as exc:
        raise UpError(str(exc)) from None


def up(plan: Plan, state: StateDir, console: Console, *, foreground: bool, timeout: float) -> None:
    """Start every service of the plan; raises `UpError` after stopping what it started."""
    _refuse_if_running(state)
    try:
        check_ports(plan)
    except PreflightError as exc:
        raise UpError(str(exc)) from None
    started: list[Started] = []
    try:
        _start_all(plan, state, console, started, timeout)
    except (StartError, KeyboardInterrupt) as exc:
        _stop_all(started, state)
        raise UpError(str(exc) or "interrupted") from None
    save_plan(state, plan)
    console.print(listener_table(plan))
    print_models(console, reachable_models(plan))
    if not foreground:
        console.print("logs: `planoai logs --follow`; stop: `planoai down`")
        return
    console.print("following the logs; Ctrl-C stops every service")
    _run_foreground(started, state, console)


def _refuse_if_running(state: StateDir) -> None:
    if not state.run.is_dir():
        return
    for pid_file in sorted(state.run.glob("*.pid")):
        pid = read_pid(pid_file)
        if pid is not None and alive(pid, pid_file.stem.replace("-", "_")):
            raise UpError(f"{pid_file.stem} is already running (pid {pid}); run `planoai down`")
        pid_file.unlink(missing_ok=True)


def _start_all(
    plan: Plan, state: StateDir, console: Console, started: list[Started], timeout: float
) -> None:
    with console.status("starting services") as status:
        for service in plan.services:
            status.update(f"starting {service.name}")
            started.append(start_service(service, state, os.environ))
        for each in started:
            status.update(f"waiting for {each.plan.name} at {each.plan.health_url}")
            wait_healthy(each, timeout)
            console.print(f"[green]✓[/] {each.plan.name} healthy (pid {each.process.pid})")


def _stop_all(started: Sequence[Started], state: StateDir) -> None:
    for each in reversed(started):
        stop_pid(each.process.pid, each.plan.module, STOP_TIMEOUT, reap=each.process.poll)
        each.process.poll()
        state.pid_file(each.plan.name).unlink(missing_ok=True)


def _run_foreground(started: Sequence[Started], state: StateDir, console: Console) -> None:
    def on_term(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    files = {each.plan.name: each.log_file for each in started}
    exited: list[str] = []

    def stop() -> bool:
        exited.extend(e.plan.name for e in started if e.process.poll() is not None)
        return bool(exited)

    try:
        follow(files, console, stop)
        console.print(f"[red]{exited[0]} exited[/]; stopping the others")
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        _stop_all(started, state)
        signal.signal(signal.SIGTERM, previous)
    if exited:
        raise UpError(f"{exited[0]} exited; see {state.log_file(exited[0])}")
