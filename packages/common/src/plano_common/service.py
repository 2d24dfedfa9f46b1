"""Command-line entry shared by every Plano service.

`<service> --config FILE [--host H] [--port P] [--metrics-port P] [--log-level L]`;
`PLANO_CONFIG`, `PLANO_METRICS_PORT`, `PLANO_METRICS_HOST` and `PLANO_LOG_LEVEL` are the
fallbacks. A service serves one or more listeners in one process and one event loop: by default
its app on `--host/--port` ("main"); a service with several addresses supplies
`ServiceSpec.build_listeners`. Any startup problem (missing or invalid config, a bad setting,
a port in use or out of range, an unknown host) exits with status 2 and one line on stderr.
Startup logs one line per bound address and the service's summary; SIGTERM and SIGINT drain
and stop the server (see `plano_common.server`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from starlette.types import ASGIApp

from plano_common.config import ConfigError, load_config
from plano_common.metrics_listener import metrics_only, without_metrics
from plano_common.server import (
    BindError,
    Listener,
    StartupError,
    bind_listeners,
    serve_listeners,
)
from plano_common.server_settings import ServerSettings, server_settings

__all__ = [
    "CONFIG_ENV",
    "EXIT_CONFIG",
    "LOG_LEVEL_ENV",
    "METRICS_HOST_ENV",
    "METRICS_PORT_ENV",
    "Listener",
    "ServiceArgs",
    "ServiceSpec",
    "fail",
    "main",
    "parse_args",
    "run_event_loop",
]

CONFIG_ENV = "PLANO_CONFIG"
LOG_LEVEL_ENV = "PLANO_LOG_LEVEL"
METRICS_PORT_ENV = "PLANO_METRICS_PORT"
METRICS_HOST_ENV = "PLANO_METRICS_HOST"
EXIT_CONFIG = 2
METRICS_BODY_BYTES = 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

logger = logging.getLogger("plano.service")


@dataclass(frozen=True)
class ServiceArgs:
    """Parsed command line of a service."""

    config: str
    host: str
    port: int
    metrics_port: int | None = None
    """Port of the separate /metrics listener; None keeps /metrics on the main listener."""
    metrics_host: str | None = None
    """Address of the /metrics listener; None: the main `host`."""
    log_level: str = "INFO"


@dataclass(frozen=True)
class ServiceSpec:
    """What a service tells the runner: its name, default port and how to build its app(s).

    `build_listeners(config, args)` (optional) returns every listener; the default is
    `build_app(config)` on `--host/--port` named "main". `summary(config, main_app)` (optional)
    returns short lines logged at startup (config facts an operator wants to see).
    `max_body_bytes(config)` (optional) is the largest request body of the main app.
    `default_metrics_port` puts /metrics on its own listener unless overridden (0: main port).
    """

    name: str
    default_port: int
    build_app: Callable[[Any], ASGIApp]
    default_host: str = "0.0.0.0"
    build_listeners: Callable[[Any, ServiceArgs], Sequence[Listener]] | None = None
    summary: Callable[[Any, ASGIApp], Sequence[str]] | None = None
    max_body_bytes: Callable[[Any], int] | None = None
    default_metrics_port: int | None = None


def parse_args(spec: ServiceSpec, argv: Sequence[str] | None = None) -> ServiceArgs:
    """Parse the command line (env fallbacks); exit 2 with one line on a bad value."""
    parser = argparse.ArgumentParser(prog=spec.name, description=f"Run the {spec.name} service.")
    env = os.environ
    parser.add_argument("--config", default=env.get(CONFIG_ENV), help="Plano config YAML")
    parser.add_argument("--host", default=spec.default_host, help="address to bind")
    parser.add_argument("--port", default=str(spec.default_port), help="port to bind")
    parser.add_argument(
        "--metrics-port",
        default=env.get(METRICS_PORT_ENV) or None,
        help="serve /metrics on this port instead of the main one (0: the main port)",
    )
    parser.add_argument(
        "--metrics-host", default=env.get(METRICS_HOST_ENV) or None, help="address for /metrics"
    )
    parser.add_argument(
        "--log-level",
        default=env.get(LOG_LEVEL_ENV) or "INFO",
        help="DEBUG, INFO, WARNING, ERROR or CRITICAL",
    )
    ns = parser.parse_args(argv)
    if not ns.config:
        fail(f"{spec.name}: no config given; pass --config FILE or set {CONFIG_ENV}")
    level = str(ns.log_level).strip().upper()
    if level not in LOG_LEVELS:
        fail(f"{spec.name}: --log-level/{LOG_LEVEL_ENV}: expected one of {', '.join(LOG_LEVELS)}")
    metrics_port = _port(spec, "--metrics-port", ns.metrics_port, spec.default_metrics_port)
    return ServiceArgs(
        config=ns.config,
        host=ns.host,
        port=_port(spec, "--port", ns.port, None) or spec.default_port,
        metrics_port=metrics_port or None,
        metrics_host=ns.metrics_host,
        log_level=level,
    )


def _port(spec: ServiceSpec, flag: str, raw: object, default: int | None) -> int | None:
    if raw is None:
        return default
    text = str(raw).strip()
    if not text.isdigit() or int(text) > 65535 or (flag == "--port" and int(text) == 0):
        fail(f"{spec.name}: {flag}: expected a port number 1-65535, got {text[:20]!r}")
    return int(text)


def fail(message: str) -> NoReturn:
    """Print a one-line reason and exit with the config-error status."""
    sys.stderr.write(message.replace("\n", " ") + "\n")
    raise SystemExit(EXIT_CONFIG)


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on uvloop when it is installed, else on the default asyncio loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def main(spec: ServiceSpec, argv: Sequence[str] | None = None) -> None:
    """Parse arguments, load the config, build and bind the listeners, serve until stopped."""
    from plano_common.logs import configure_logging

    args = parse_args(spec, argv)
    configure_logging(spec.name, level=args.log_level)
    try:
        settings = server_settings()
        config = load_config(args.config)
        listeners = _listeners(spec, config, args)
        summary = spec.summary(config, listeners[0].app) if spec.summary else ()
        listeners = _with_metrics_listener(listeners, args)
    except ConfigError as exc:
        fail(f"{spec.name}: invalid config: {exc}")
    except ValueError as exc:
        fail(f"{spec.name}: invalid setting: {exc}")
    try:
        bound = bind_listeners(listeners)
    except BindError as exc:
        fail(f"{spec.name}: {exc}")
    logger.info("%s starting with config %s", spec.name, args.config)
    for line in summary:
        logger.info("%s", line)
    try:
        run_event_loop(_serve(spec, bound, settings))
    except StartupError as exc:
        fail(f"{spec.name}: startup failed: {exc}")


async def _serve(spec: ServiceSpec, bound: Any, settings: ServerSettings) -> None:
    await serve_listeners(bound, settings, service=spec.name)
    logger.info("%s stopped", spec.name)


def _listeners(spec: ServiceSpec, config: Any, args: ServiceArgs) -> list[Listener]:
    """The service's listeners; the first is the main one."""
    if spec.build_listeners is not None:
        return list(spec.build_listeners(config, args))
    limit = spec.max_body_bytes(config) if spec.max_body_bytes else None
    app = spec.build_app(config)
    return [Listener("main", args.host, args.port, app, per_request_body_bytes=limit)]


def _with_metrics_listener(listeners: list[Listener], args: ServiceArgs) -> list[Listener]:
    """With a metrics port: /metrics hidden on every listener, served by the main app there."""
    if args.metrics_port is None or not listeners:
        return listeners
    hidden: dict[int, ASGIApp] = {}  # one wrapper per app, so each app still starts once
    for each in listeners:
        hidden.setdefault(id(each.app), without_metrics(each.app))
    metrics = Listener(
        "metrics",
        args.metrics_host or args.host,
        args.metrics_port,
        metrics_only(listeners[0].app),
        per_request_body_bytes=METRICS_BODY_BYTES,
    )
    return [replace(each, app=hidden[id(each.app)]) for each in listeners] + [metrics]
