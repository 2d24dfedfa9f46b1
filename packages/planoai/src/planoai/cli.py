"""`planoai`: run the Plano services from one config.

planoai up [FILE] [--foreground] [--service NAME ...]   start what the config needs
planoai down                                          stop what `up` started
planoai status                                        what runs, where, and whether it is healthy
planoai logs [--follow] [SERVICE]                     the services' logs
planoai validate FILE                                 check the config and its variables
planoai init [--template NAME]                        write a starter config
planoai trace [--port 4317]                           print traces the services export
planoai obs [--once]                                  live table of LLM calls per model
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from planoai.logfiles import follow, tail
from planoai.passthrough import passthrough_config
from planoai.plan import SERVICES
from planoai.processes import alive, read_pid, stop_pid
from planoai.report import listener_table
from planoai.runfile import load_plan
from planoai.state import state_dir
from planoai.templates import TEMPLATES, template_text
from planoai.up import UpError, find_config, plan_for, up

__all__ = ["cli", "main"]

EXIT_INVALID = 2
EXIT_NOT_RUNNING = 3


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"planoai: {message}".replace("\n", " ") + "\n")
    raise SystemExit(EXIT_INVALID)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planoai")
def cli() -> None:
    """Run the Plano gateway services (llm-gateway, brightstaff, prompt-gateway) locally."""


@cli.command("up")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--foreground", is_flag=True, help="Stay attached, follow the logs, stop on Ctrl-C.")
@click.option(
    "--service",
    "services",
    multiple=True,
    type=click.Choice(SERVICES),
    help="Start only this service (repeatable).",
)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for health.")
def up_command(
    file: Path | None, foreground: bool, services: tuple[str, ...], timeout: float
) -> None:
    """Start the services FILE needs (default: ./config.yaml, else a pass-through config)."""
    state = state_dir()
    state.ensure()
    console = Console()
    try:
        path = find_config(file, state, os.environ)
        plan = plan_for(path, os.environ, services)
        up(plan, state, console, foreground=foreground, timeout=timeout)
    except UpError as exc:
        _fail(str(exc))


@cli.command()
@click.option("--timeout", default=40.0, show_default=True, help="Seconds before SIGKILL.")
def down(timeout: float) -> None:
    """Stop the services `up` started (SIGTERM, then SIGKILL after --timeout)."""
    state = state_dir()
    plan = load_plan(state)
    modules = {item.name: item.module for item in plan.services} if plan else {}
    order = [item.name for item in plan.services] if plan else list(SERVICES)
    found = list(state.run.glob("*.pid")) if state.run.is_dir() else []
    rank = {name: index for index, name in enumerate(order)}
    pid_files = sorted(found, key=lambda p: rank.get(p.stem, len(rank)), reverse=True)
    if not pid_files:
        click.echo("nothing is running")
        return
    for pid_file in pid_files:
        name = pid_file.stem
        pid = read_pid(pid_file)
        module = modules.get(name, name.replace("-", "_"))
        if pid is not None and alive(pid, module):
            killed = stop_pid(pid, module, timeout)
            click.echo(f"{name} (pid {pid}) {'killed' if killed else 'stopped'}")
        pid_file.unlink(missing_ok=True)


@cli.command()
def status() -> None:
    """Show each service of the last `up`: running or not, and its addresses."""
    state = state_dir()
    plan = load_plan(state)
    if plan is None:
        click.echo("nothing started yet (run `planoai up`)")
        raise SystemExit(EXIT_NOT_RUNNING)
    states: dict[str, str] = {}
    for service in plan.services:
        pid = read_pid(state.pid_file(service.name))
        running = pid is not None and alive(pid, service.module)
        states[service.name] = f"running (pid {pid})" if running else "stopped"
    Console().print(listener_table(plan, states))
    if not all(value.startswith("running") for value in states.values()):
        raise SystemExit(EXIT_NOT_RUNNING)


@cli.command()
@click.argument("service", required=False, type=click.Choice(SERVICES))
@click.option("--follow", "-f", "follow_logs", is_flag=True, help="Keep printing new lines.")
@click.option("--lines", "-n", default=100, show_default=True, help="Lines of history to show.")
def logs(service: str | None, follow_logs: bool, lines: int) -> None:
    """Show the logs of every service, or of SERVICE."""
    state = state_dir()
    names = [service] if service else [n for n in SERVICES if state.log_file(n).is_file()]
    if not names:
        click.echo("no logs yet (run `planoai up`)")
        return
    for name in names:
        for line in tail(state.log_file(name), lines):
            click.echo(f"{name} | {line}")
    if follow_logs:
        with contextlib.suppress(KeyboardInterrupt):
            follow({n: state.log_file(n) for n in names}, Console(), lambda: False)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
def validate(file: Path) -> None:
    """Check FILE: its shape, every `$VAR` it needs, and the planoai port settings."""
    try:
        plan = plan_for(file, os.environ)
    except UpError as exc:
        _fail(f"{file}: {exc}")
    names = ", ".join(item.name for item in plan.services)
    click.echo(f"{file}: valid (starts {names})")


@cli.command()
@click.option("--template", type=click.Choice(sorted(TEMPLATES)), help="Start from a template.")
@click.option(
    "--output", "-o", default="config.yaml", show_default=True, type=click.Path(path_type=Path)
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--list", "list_templates", is_flag=True, help="List the templates and exit.")
def init(template: str | None, output: Path, force: bool, list_templates: bool) -> None:
    """Write a starter config (pass-through from your provider keys, or a template)."""
    if list_templates:
        for name, about in sorted(TEMPLATES.items()):
            click.echo(f"{name:<26} {about}")
        return
    if output.exists() and not force:
        _fail(f"{output} exists; pass --force to overwrite it")
    text = template_text(template) if template else passthrough_config(os.environ)
    output.write_text(text)
    click.echo(f"wrote {output}; next: planoai up {output}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=4317, show_default=True, help="OTLP/gRPC port.")
@click.option(
    "--quiet", default=1.5, show_default=True, help="Seconds without spans ending a trace."
)
def trace(host: str, port: int, quiet: float) -> None:
    """Receive OTLP traces and print each as a span tree (point `tracing` at this port)."""
    from planoai.trace import serve_traces

    stop = threading.Event()
    try:
        serve_traces(host, port, Console(), quiet, stop)
    except OSError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        stop.set()


@cli.command()
@click.option("--url", help="A /metrics URL (default: llm-gateway of the last `up`).")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between refreshes.")
@click.option("--once", is_flag=True, help="Print one table and exit.")
def obs(url: str | None, interval: float, once: bool) -> None:
    """Live view of LLM calls per model: requests, errors, tokens, tok/s, p95 latency, TTFT."""
    from planoai.obs import run_obs

    target = url or _egress_metrics_url()
    try:
        run_obs(target, Console(), interval, once)
    except OSError as exc:
        _fail(f"cannot read {target}: {exc}")
    except KeyboardInterrupt:
        pass


def _egress_metrics_url() -> str:
    plan = load_plan(state_dir())
    egress = plan.service("llm-gateway") if plan else None
    if egress is None:
        _fail("no llm-gateway started by `planoai up`; pass --url")
    return egress.addresses[0].url + "/metrics"


def main() -> None:
    """Console-script entry."""
    cli()
