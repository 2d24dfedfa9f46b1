"""`prompt-gateway --config FILE`: serve :10001 and the config's prompt listener (`type: prompt`,
default :10000) in one process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plano_common.service import Listener, ServiceArgs, ServiceSpec
from plano_common.service import main as run_service
from prompt_gateway.app import PromptGateway, build_app
from prompt_gateway.settings import settings_from

__all__ = ["SPEC", "build_listeners", "main", "summary"]


def build_listeners(config: Any, args: ServiceArgs) -> Sequence[Listener]:
    """The app on `--host/--port`, and on every `type: prompt` listener of the config."""
    gateway = PromptGateway(config)
    app = build_app(config, gateway)
    limit = gateway.settings.max_body_bytes
    return [
        Listener("main", args.host, args.port, app, limit),
        *(
            Listener(f"prompt listener {item.name}", item.address, item.port, app, limit)
            for item in config.listeners
            if item.type == "prompt"
        ),
    ]


def summary(config: Any, _app: Any) -> Sequence[str]:
    """Startup facts: where intent, LLM and guard calls go, and the targets."""
    settings = settings_from(config)
    guard = "off"
    if config.prompt_guards is not None:
        guard = "built-in detector"
        if settings.guard_url:
            guard = f"endpoint {settings.guard_url} (on error: {settings.guard_on_error})"
    targets = ", ".join(target.name for target in config.prompt_targets) or "none"
    return [
        f"function calling {settings.function_calling_url}",
        f"egress {settings.egress_url}",
        f"jailbreak guard: {guard}",
        f"prompt targets: {targets}",
    ]


SPEC = ServiceSpec(
    name="prompt-gateway",
    default_port=10001,
    build_app=build_app,
    build_listeners=build_listeners,
    summary=summary,
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the service from the command line."""
    run_service(SPEC, argv)


if __name__ == "__main__":
    main()
