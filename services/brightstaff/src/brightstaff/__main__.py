"""`brightstaff --config FILE`: the internal API on :9091, every model listener of the
config, and `/metrics` on :9092, in one process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brightstaff.app import Brightstaff, build_app
from brightstaff.settings import settings_from
from plano_common.service import Listener, ServiceArgs, ServiceSpec
from plano_common.service import main as run_service

__all__ = ["SPEC", "build_listeners", "main"]

METRICS_PORT = 9092


def build_listeners(config: Any, args: ServiceArgs) -> Sequence[Listener]:
    """The internal API on `--host/--port`, then one listener per `type: model` listener."""
    service = Brightstaff(config)
    limit = service.settings.max_body_bytes
    listeners = [Listener("internal", args.host, args.port, service.internal_app(), limit)]
    for item in service.model_listeners:
        app = service.listener_app(item)
        listeners.append(
            Listener(f"model listener {item.name}", item.address, item.port, app, limit)
        )
    for item, extra in service.steps.extra_listeners:
        listeners.append(
            Listener(f"{item.type} listener {item.name}", item.address, item.port, extra, limit)
        )
    return listeners


def summary(config: Any, _app: Any) -> Sequence[str]:
    """Startup facts: the egress and the model listeners."""
    names = ", ".join(
        f"{item.name} on {item.address}:{item.port}"
        for item in config.listeners
        if item.type == "model"
    )
    return [f"egress {settings_from(config).egress_url}", f"model listeners: {names}"]


SPEC = ServiceSpec(
    name="brightstaff",
    default_port=9091,
    build_app=build_app,
    build_listeners=build_listeners,
    summary=summary,
    default_metrics_port=METRICS_PORT,
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service from the command line."""
    run_service(SPEC, argv)


if __name__ == "__main__":
    main()
