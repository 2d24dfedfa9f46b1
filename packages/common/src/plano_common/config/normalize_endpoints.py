"""Endpoints: the `endpoints` section plus one endpoint per agent and filter."""

from __future__ import annotations

import re
from collections.abc import Sequence

from plano_common.config.document import AgentEntry, EndpointEntry, FilterEntry
from plano_common.config.durations import parse_duration
from plano_common.config.errors import ConfigError, ConfigPath, format_path, quote
from plano_common.config.types import Agent, Endpoint, Filter
from plano_common.config.urls import DEFAULT_PORTS, split_host_port, split_url

__all__ = ["normalize_agents_and_filters", "normalize_endpoints"]

_ENDPOINT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def normalize_endpoints(entries: dict[str, EndpointEntry]) -> dict[str, Endpoint]:
    """Endpoints of the `endpoints` section with host, port and protocol split out."""
    return {name: _endpoint(name, entry, ("endpoints", name)) for name, entry in entries.items()}


def _endpoint(name: str, entry: EndpointEntry, path: ConfigPath) -> Endpoint:
    if not _ENDPOINT_NAME.match(name):
        raise ConfigError(
            "an endpoint name must start with a letter and use only letters, digits and _",
            path=path,
        )
    protocol = entry.protocol or "http"
    path_prefix: str | None = None
    if "://" in entry.endpoint:
        parts = split_url(entry.endpoint, (*path, "endpoint"), example="https://api.example.com")
        if entry.protocol is not None and entry.protocol != parts.scheme:
            raise ConfigError(
                f"protocol {entry.protocol} contradicts the {parts.scheme}:// endpoint url",
                path=(*path, "protocol"),
            )
        protocol = "https" if parts.scheme == "https" else "http"
        host, port, path_prefix = parts.host, parts.port, parts.path_prefix
    else:
        host, port = split_host_port(entry.endpoint, DEFAULT_PORTS[protocol], (*path, "endpoint"))
    timeout = entry.connect_timeout
    return Endpoint(
        name=name,
        host=host,
        port=port,
        protocol=protocol,
        path_prefix=path_prefix,
        connect_timeout_seconds=(
            None if timeout is None else parse_duration(timeout, (*path, "connect_timeout"))
        ),
        http_host=entry.http_host or None,
        prefix_affinity=bool(entry.prefix_affinity),
    )


def normalize_agents_and_filters(
    agents: Sequence[AgentEntry],
    filters: Sequence[FilterEntry],
    endpoints: dict[str, Endpoint],
) -> tuple[tuple[Agent, ...], tuple[Filter, ...]]:
    """Agents and filters with unique ids; each also becomes an endpoint named by its id."""
    owners: dict[str, ConfigPath] = {}
    sections: list[tuple[str, Sequence[AgentEntry | FilterEntry]]] = [
        ("agents", agents),
        ("filters", filters),
    ]
    for section, entries in sections:
        for index, entry in enumerate(entries):
            path: ConfigPath = (section, index)
            if entry.id in owners:
                raise ConfigError(
                    f"duplicate id {quote(entry.id)} (also {format_path(owners[entry.id])}); "
                    "agent and filter ids must be unique",
                    path=(*path, "id"),
                )
            if entry.id in endpoints:
                raise ConfigError(
                    f"id {quote(entry.id)} is also the name of an endpoint; rename one",
                    path=(*path, "id"),
                )
            owners[entry.id] = path
            parts = split_url(entry.url, (*path, "url"), example="http://localhost:10500")
            endpoints[entry.id] = Endpoint(
                name=entry.id,
                host=parts.host,
                port=parts.port,
                protocol="https" if parts.scheme == "https" else "http",
                path_prefix=parts.path_prefix,
            )
    return (
        tuple(
            Agent(id=a.id, url=a.url, timeout_seconds=_timeout(a, ("agents", i)))
            for i, a in enumerate(agents)
        ),
        tuple(
            Filter(
                id=f.id,
                url=f.url,
                type=f.type or "mcp",
                transport=f.transport or "streamable-http",
                tool=f.tool or f.id,
                timeout_seconds=_timeout(f, ("filters", i)),
            )
            for i, f in enumerate(filters)
        ),
    )


def _timeout(entry: AgentEntry | FilterEntry, path: ConfigPath) -> float | None:
    if entry.timeout is None:
        return None
    return parse_duration(entry.timeout, (*path, "timeout"))
