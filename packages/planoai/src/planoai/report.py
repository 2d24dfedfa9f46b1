"""What `up` and `status` print: where each listener is and which models answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from planoai.plan import Plan

__all__ = ["listener_table", "print_models", "reachable_models"]

MODELS_TIMEOUT = 5.0
MAX_MODELS_BYTES = 4 * 1024 * 1024
SHOWN_MODELS = 20


def listener_table(plan: Plan, states: dict[str, str] | None = None) -> Table:
    """One row per address of every planned service."""
    table = Table(title="Plano services", title_justify="left")
    table.add_column("service")
    table.add_column("listener")
    table.add_column("url")
    if states is not None:
        table.add_column("state")
    for service in plan.services:
        for address in service.addresses:
            row = [service.name, address.label, address.url]
            if states is not None:
                row.append(states.get(service.name, "?"))
            table.add_row(*row)
    return table


def reachable_models(plan: Plan) -> list[str]:
    """Model ids from `/v1/models` of the first model listener, else of the egress."""
    urls = [
        address.url
        for service in plan.services
        for address in service.addresses
        if address.label.startswith("model listener")
    ]
    egress = plan.service("llm-gateway")
    if egress is not None:
        urls.append(egress.addresses[0].url)
    for url in urls:
        models = _models(url + "/v1/models")
        if models is not None:
            return models
    return []


def _models(url: str) -> list[str] | None:
    try:
        with urllib.request.urlopen(url, timeout=MODELS_TIMEOUT) as response:
            body = json.loads(response.read(MAX_MODELS_BYTES))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]


def print_models(console: Console, models: Sequence[str]) -> None:
    """The model ids, the first few only."""
    if not models:
        console.print("models: none listed (see `planoai logs`)")
        return
    shown = ", ".join(models[:SHOWN_MODELS])
    more = f" and {len(models) - SHOWN_MODELS} more" if len(models) > SHOWN_MODELS else ""
    console.print(f"models ({len(models)}): {shown}{more}")
