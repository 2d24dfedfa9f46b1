"""Which services a config needs, on which addresses, with which command and environment.

llm-gateway always runs. brightstaff runs when the config has model or agent listeners (a config
without `listeners` gets the default model listener), routing, agents, state storage or prompt
targets (the prompt gateway calls its `/function_calling`). prompt-gateway runs when the config
has prompt targets or a prompt listener. Internal ports come from the environment
(`PLANOAI_LLM_GATEWAY_PORT`, else `endpoints.llm_gateway`, else 12001;
`PLANOAI_BRIGHTSTAFF_PORT` 9091; `PLANOAI_BRIGHTSTAFF_METRICS_PORT` 9092;
`PLANOAI_PROMPT_GATEWAY_PORT` 10001) and bind `PLANOAI_HOST` (127.0.0.1).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plano_common.config import PlanoConfig

__all__ = [
    "SERVICES",
    "Address",
    "Plan",
    "PlanError",
    "ServicePlan",
    "build_plan",
    "needed_services",
]

SERVICES = ("llm-gateway", "brightstaff", "prompt-gateway")
MODULES = {
    "llm-gateway": "llm_gateway",
    "brightstaff": "brightstaff",
    "prompt-gateway": "prompt_gateway",
}
DEFAULT_PORTS = {
    "PLANOAI_LLM_GATEWAY_PORT": 12001,
    "PLANOAI_BRIGHTSTAFF_PORT": 9091,
    "PLANOAI_BRIGHTSTAFF_METRICS_PORT": 9092,
    "PLANOAI_PROMPT_GATEWAY_PORT": 10001,
}
HOST_ENV = "PLANOAI_HOST"
LOCAL_HOST = "127.0.0.1"


class PlanError(ValueError):
    """A setting of the plan is unusable; the message is one line."""


@dataclass(frozen=True)
class Address:
    """One address a service binds."""

    label: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """An http URL a local client can use."""
        host = LOCAL_HOST if self.host in ("0.0.0.0", "", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class ServicePlan:
    """How to start one service."""

    name: str
    module: str
    addresses: tuple[Address, ...]
    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def health_url(self) -> str:
        """`/healthz` of the main listener."""
        return self.addresses[0].url + "/healthz"

    def command(self) -> list[str]:
        """`python -m <module> ...` with this interpreter."""
        return [sys.executable, "-m", self.module, *self.args]


@dataclass(frozen=True)
class Plan:
    """Every service of one `up`."""

    config_path: Path
    services: tuple[ServicePlan, ...]

    def service(self, name: str) -> ServicePlan | None:
        """The plan of a service, if it is part of this plan."""
        return next((item for item in self.services if item.name == name), None)


def needed_services(config: PlanoConfig, raw: Mapping[str, Any]) -> list[str]:
    """The services the config needs, in start order."""
    names = ["llm-gateway"]
    raw_listeners = raw.get("listeners")
    types = {item.type for item in config.listeners}
    has_front = not raw_listeners or bool(types & {"model", "agent"})
    if (
        has_front
        or config.routing_preferences
        or config.agents
        or config.state_storage is not None
        or config.prompt_targets
    ):
        names.append("brightstaff")
    if config.prompt_targets or "prompt" in types:
        names.append("prompt-gateway")
    return names


def build_plan(
    config_path: Path,
    config: PlanoConfig,
    raw: Mapping[str, Any],
    environ: Mapping[str, str],
    only: Sequence[str] = (),
) -> Plan:
    """The plan for a config; `only` restricts it to the named services."""
    names = needed_services(config, raw)
    if only:
        unknown = sorted(set(only) - set(SERVICES))
        if unknown:
            raise PlanError(
                f"unknown service {unknown[0]!r}; expected one of {', '.join(SERVICES)}"
            )
        names = [name for name in SERVICES if name in only]
    host = environ.get(HOST_ENV, "").strip() or LOCAL_HOST
    ports = _ports(config, environ)
    shared = {
        "LLM_PROVIDER_ENDPOINT": Address("", host, ports["PLANOAI_LLM_GATEWAY_PORT"]).url,
        "PLANO_FUNCTION_CALLING_URL": Address("", host, ports["PLANOAI_BRIGHTSTAFF_PORT"]).url
        + "/function_calling",
        "PYTHONUNBUFFERED": "1",
    }
    builders = {
        "llm-gateway": _llm_gateway,
        "brightstaff": _brightstaff,
        "prompt-gateway": _prompt_gateway,
    }
    services = tuple(builders[name](config_path, config, host, ports, shared) for name in names)
    return Plan(config_path=config_path, services=services)


def _ports(config: PlanoConfig, environ: Mapping[str, str]) -> dict[str, int]:
    ports = dict(DEFAULT_PORTS)
    endpoint = config.endpoints.get("llm_gateway")
    if endpoint is not None:
        ports["PLANOAI_LLM_GATEWAY_PORT"] = endpoint.port
    for name in DEFAULT_PORTS:
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise PlanError(f"{name}: expected a port number 1-65535, got {raw[:20]!r}")
        ports[name] = int(raw)
    return ports


def _service(
    name: str, config_path: Path, addresses: list[Address], extra: list[str], env: dict[str, str]
) -> ServicePlan:
    main = addresses[0]
    args = ["--config", str(config_path), "--host", main.host, "--port", str(main.port), *extra]
    return ServicePlan(name, MODULES[name], tuple(addresses), tuple(args), env)


def _llm_gateway(
    path: Path, config: PlanoConfig, host: str, ports: dict[str, int], shared: dict[str, str]
) -> ServicePlan:
    main = Address("egress (llm-gateway)", host, ports["PLANOAI_LLM_GATEWAY_PORT"])
    return _service("llm-gateway", path, [main], [], {"PYTHONUNBUFFERED": "1"})


def _brightstaff(
    path: Path, config: PlanoConfig, host: str, ports: dict[str, int], shared: dict[str, str]
) -> ServicePlan:
    metrics = Address("brightstaff metrics", host, ports["PLANOAI_BRIGHTSTAFF_METRICS_PORT"])
    addresses = [Address("brightstaff internal API", host, ports["PLANOAI_BRIGHTSTAFF_PORT"])]
    addresses += [
        Address(f"{item.type} listener {item.name}", item.address, item.port)
        for item in config.listeners
        if item.type in ("model", "agent")
    ]
    extra = ["--metrics-port", str(metrics.port), "--metrics-host", host]
    return _service("brightstaff", path, [*addresses, metrics], extra, dict(shared))


def _prompt_gateway(
    path: Path, config: PlanoConfig, host: str, ports: dict[str, int], shared: dict[str, str]
) -> ServicePlan:
    addresses = [Address("prompt gateway", host, ports["PLANOAI_PROMPT_GATEWAY_PORT"])]
    addresses += [
        Address(f"prompt listener {item.name}", item.address, item.port)
        for item in config.listeners
        if item.type == "prompt"
    ]
    return _service("prompt-gateway", path, addresses, [], dict(shared))
