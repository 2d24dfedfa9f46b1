"""Command-line entry and Hypercorn runner shared by every Plano service.

`<service> --config FILE [--host H] [--port P]`; `PLANO_CONFIG` is the fallback for `--config`.
A missing or invalid config exits with status 2 and a one-line reason on stderr. SIGTERM and
SIGINT stop the server gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig

from plano_common.config import ConfigError, load_config

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONFIG_ENV = "PLANO_CONFIG"
EXIT_CONFIG = 2
KEEP_ALIVE_ENV = "PLANO_KEEP_ALIVE_SECONDS"
DEFAULT_KEEP_ALIVE_SECONDS = 75.0


@dataclass(frozen=True)
class ServiceSpec:
    """What a service tells the runner: its name, default port and how to build its app."""

    name: str
    default_port: int
    build_app: Callable[[Any], AsgiApp]
    default_host: str = "0.0.0.0"


@dataclass(frozen=True)
class ServiceArgs:
    """Parsed command line of a service."""

    config: str
    host: str
    port: int


def parse_args(spec: ServiceSpec, argv: Sequence[str] | None = None) -> ServiceArgs:
    """Parse `--config`, `--host`, `--port`; exit 2 when no config is given."""
    parser = argparse.ArgumentParser(prog=spec.name, description=f"Run the {spec.name} service.")
    parser.add_argument("--config", default=os.environ.get(CONFIG_ENV), help="Plano config YAML")
    parser.add_argument("--host", default=spec.default_host, help="address to bind")
    parser.add_argument("--port", type=int, default=spec.default_port, help="port to bind")
    ns = parser.parse_args(argv)
    if not ns.config:
        fail(f"{spec.name}: no config given; pass --config FILE or set {CONFIG_ENV}")
    return ServiceArgs(config=ns.config, host=ns.host, port=ns.port)


def fail(message: str) -> NoReturn:
    """Print a one-line reason and exit with the config-error status."""
    sys.stderr.write(message.replace("\n", " ") + "\n")
    raise SystemExit(EXIT_CONFIG)


def keep_alive_seconds() -> float:
    """Idle keep-alive of client connections: env PLANO_KEEP_ALIVE_SECONDS, default 75 s."""
    raw = os.environ.get(KEEP_ALIVE_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_KEEP_ALIVE_SECONDS
    except ValueError:
        fail(f"{KEEP_ALIVE_ENV}: expected a number of seconds, got {raw!r}")
    if value <= 0:
        fail(f"{KEEP_ALIVE_ENV}: must be positive, got {raw!r}")
    return value


def hypercorn_config(args: ServiceArgs) -> HypercornConfig:
    """Hypercorn settings for a service: no Hypercorn access log (services log their own)."""
    config = HypercornConfig()
    host = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    config.bind = [f"{host}:{args.port}"]
    config.accesslog = None
    config.errorlog = "-"
    config.loglevel = "WARNING"
    config.keep_alive_timeout = keep_alive_seconds()
    config.graceful_timeout = 5
    return config


async def serve_until_signalled(app: AsgiApp, config: HypercornConfig) -> None:
    """Serve `app` until SIGTERM or SIGINT, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]


def run_event_loop(main: Awaitable[None]) -> None:
    """Run a coroutine on uvloop when it is installed, else on the default asyncio loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)  # type: ignore[arg-type]
    else:
        uvloop.run(main)  # type: ignore[arg-type]


def main(spec: ServiceSpec, argv: Sequence[str] | None = None) -> None:
    """Parse arguments, load the config, build the app and serve it."""
    from plano_common.logs import configure_logging

    args = parse_args(spec, argv)
    configure_logging(spec.name)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        fail(f"{spec.name}: invalid config: {exc}")
    app = spec.build_app(config)
    run_event_loop(serve_until_signalled(app, hypercorn_config(args)))
