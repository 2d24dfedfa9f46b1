"""Checks before anything starts: the config loads (every needed `$VAR` is set) and every
address of the plan is free. Each failure is one line."""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from plano_common.config import ConfigError, PlanoConfig, load_config
from planoai.plan import Address, Plan

__all__ = ["PreflightError", "check_ports", "load"]


class PreflightError(RuntimeError):
    """A check failed; the message is one line."""


@contextlib.contextmanager
def _quiet_config_logger() -> Iterator[None]:
    config_logger = logging.getLogger("plano.config")
    was_disabled, config_logger.disabled = config_logger.disabled, True
    try:
        yield
    finally:
        config_logger.disabled = was_disabled


def load(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[PlanoConfig, dict[str, Any]]:
    """The normalized config and its raw YAML mapping; raises `PreflightError`."""
    try:
        with _quiet_config_logger():
            config = load_config(path, environ=environ)
    except ConfigError as exc:
        raise PreflightError(f"invalid config: {exc}") from None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise PreflightError(f"cannot read {path}: {exc}") from None
    return config, raw if isinstance(raw, dict) else {}


def check_ports(plan: Plan) -> None:
    """Raise `PreflightError` naming the first address that is taken or listed twice."""
    seen: dict[int, str] = {}
    for service in plan.services:
        for address in service.addresses:
            owner = f"{service.name} {address.label}"
            if address.port in seen:
                raise PreflightError(
                    f"port {address.port} is used twice: {seen[address.port]} and {owner}"
                )
            seen[address.port] = owner
            _check_free(owner, address)


def _check_free(owner: str, address: Address) -> None:
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address.host, address.port))
        except OSError as exc:
            reason = (
                "is in use"
                if exc.errno == errno.EADDRINUSE
                else f"cannot be bound ({exc.strerror})"
            )
            raise PreflightError(
                f"{address.host}:{address.port} ({owner}) {reason}; stop what holds it "
                "(`planoai down`?) or change the port"
            ) from None
