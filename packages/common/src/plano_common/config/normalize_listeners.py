"""Listeners: the list form or the legacy dict, defaults, one model listener, filter ids."""

from __future__ import annotations

from collections.abc import Collection

from plano_common.config.document import (
    LegacyListeners,
    LegacyTrafficEntry,
    ListenerAgentEntry,
    ListenerEntry,
)
from plano_common.config.durations import parse_duration
from plano_common.config.errors import ConfigError, ConfigPath, format_path, quote
from plano_common.config.types import Listener, ListenerAgent, ListenerType

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_PORTS",
    "DEFAULT_TIMEOUT_SECONDS",
    "ORCHESTRATOR_ROUTER",
    "normalize_listeners",
]

DEFAULT_ADDRESS = "0.0.0.0"
DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_PORTS: dict[ListenerType, int] = {"model": 12000, "prompt": 10000}
ORCHESTRATOR_ROUTER = "plano_orchestrator_v1"
_ANY_ADDRESS = {"0.0.0.0", "::", ""}


def normalize_listeners(
    listeners: list[ListenerEntry] | LegacyListeners,
    filter_ids: Collection[str],
    agent_ids: Collection[str],
    warnings: list[str],
) -> tuple[Listener, ...]:
    """Listeners with defaults; a model listener is added when none is configured."""
    if isinstance(listeners, LegacyListeners):
        result = _legacy(listeners)
        paths: list[ConfigPath] = [("listeners", item.name) for item in result]
    else:
        result = [
            _listener(entry, ("listeners", index), filter_ids, agent_ids, warnings)
            for index, entry in enumerate(listeners)
        ]
        paths = [("listeners", index) for index in range(len(result))]
        _check_unique(result)
    if not any(item.type == "model" for item in result):
        result.append(_default_model_listener())
        paths.append(())
    _check_ports(result, paths)
    return tuple(result)


def _default_model_listener(entry: LegacyTrafficEntry | None = None) -> Listener:
    given = entry or LegacyTrafficEntry()
    return Listener(
        name="egress_traffic",
        type="model",
        address=given.address or DEFAULT_ADDRESS,
        port=given.port or DEFAULT_PORTS["model"],
        timeout_seconds=_timeout(given.timeout, ("listeners", "egress_traffic", "timeout")),
    )


def _legacy(listeners: LegacyListeners) -> list[Listener]:
    result = [_default_model_listener(listeners.egress_traffic)]
    ingress = listeners.ingress_traffic
    if ingress is not None:
        result.append(
            Listener(
                name="ingress_traffic",
                type="prompt",
                address=ingress.address or DEFAULT_ADDRESS,
                port=ingress.port or DEFAULT_PORTS["prompt"],
                timeout_seconds=_timeout(
                    ingress.timeout, ("listeners", "ingress_traffic", "timeout")
                ),
            )
        )
    return result


def _timeout(value: str | float | None, path: ConfigPath) -> float:
    return DEFAULT_TIMEOUT_SECONDS if value is None else parse_duration(value, path)


def _listener(
    entry: ListenerEntry,
    path: ConfigPath,
    filter_ids: Collection[str],
    agent_ids: Collection[str],
    warnings: list[str],
) -> Listener:
    port = entry.port or DEFAULT_PORTS.get(entry.type)
    if port is None:
        raise ConfigError(
            f"missing port: {entry.type} listeners need one, e.g. port: 8001", path=path
        )
    for field in ("input_filters", "output_filters"):
        for position, filter_id in enumerate(getattr(entry, field) or ()):
            _check_filter(filter_id, (*path, field, position), filter_ids)
    agents: tuple[ListenerAgent, ...] = ()
    if entry.type == "agent":
        if not entry.agents:
            raise ConfigError("an agent listener needs agents: [{id, description}, ...]", path=path)
        agents = _agents(entry.agents, (*path, "agents"), filter_ids, agent_ids, warnings)
    elif entry.agents:
        raise ConfigError(
            f"agents are only for agent listeners; this one has type {entry.type}",
            path=(*path, "agents"),
        )
    router: str | None = entry.router
    if router == "plano_agent_router" or (router is None and entry.type == "agent"):
        router = ORCHESTRATOR_ROUTER
    return Listener(
        name=entry.name,
        type=entry.type,
        address=entry.address or DEFAULT_ADDRESS,
        port=port,
        timeout_seconds=_timeout(entry.timeout, (*path, "timeout")),
        max_retries=entry.max_retries,
        router=router,
        agents=agents,
        input_filters=tuple(entry.input_filters or ()),
        output_filters=tuple(entry.output_filters or ()),
    )


def _agents(
    entries: list[ListenerAgentEntry],
    path: ConfigPath,
    filter_ids: Collection[str],
    agent_ids: Collection[str],
    warnings: list[str],
) -> tuple[ListenerAgent, ...]:
    seen: set[str] = set()
    result: list[ListenerAgent] = []
    defaults = 0
    for index, entry in enumerate(entries):
        here = (*path, index)
        if entry.id in seen:
            raise ConfigError(f"agent {quote(entry.id)} is listed twice", path=(*here, "id"))
        seen.add(entry.id)
        if entry.input_filters is not None and entry.filter_chain is not None:
            raise ConfigError(
                "give input_filters or its older name filter_chain, not both",
                path=(*here, "filter_chain"),
            )
        field = "input_filters" if entry.filter_chain is None else "filter_chain"
        filters = entry.input_filters if entry.filter_chain is None else entry.filter_chain
        for position, filter_id in enumerate(filters or ()):
            _check_filter(filter_id, (*here, field, position), filter_ids)
        if entry.id not in agent_ids:
            warnings.append(
                f"{format_path((*here, 'id'))}: agent {quote(entry.id)} is not defined under "
                "agents, so it cannot be called"
            )
        defaults += bool(entry.default)
        if defaults > 1:
            raise ConfigError(
                "only one agent of a listener can be the default", path=(*here, "default")
            )
        result.append(
            ListenerAgent(
                id=entry.id,
                description=entry.description,
                default=bool(entry.default),
                input_filters=tuple(filters or ()),
            )
        )
    return tuple(result)


def _check_filter(filter_id: str, path: ConfigPath, filter_ids: Collection[str]) -> None:
    if filter_id not in filter_ids:
        known = ", ".join(sorted(filter_ids)) or "none defined"
        raise ConfigError(
            f"{quote(filter_id)} is not defined under agents or filters (known ids: {known})",
            path=path,
        )


def _check_unique(listeners: list[Listener]) -> None:
    names: dict[str, int] = {}
    for index, listener in enumerate(listeners):
        if listener.name in names:
            raise ConfigError(
                f"duplicate listener name {quote(listener.name)} (also "
                f"listeners[{names[listener.name]}]); give each listener a unique name",
                path=("listeners", index, "name"),
            )
        names[listener.name] = index


def _check_ports(listeners: list[Listener], paths: list[ConfigPath]) -> None:
    for index, listener in enumerate(listeners):
        for other_index, other in enumerate(listeners[:index]):
            same_address = (
                listener.address == other.address
                or listener.address in _ANY_ADDRESS
                or other.address in _ANY_ADDRESS
            )
            if listener.port == other.port and same_address:
                where, taken_by = paths[index], f"listener {quote(other.name)}"
                if not where:
                    where, taken_by = paths[other_index], "the default model listener"
                raise ConfigError(
                    f"port {listener.port} is also used by {taken_by}; "
                    "give each listener its own port",
                    path=(*where, "port"),
                )
