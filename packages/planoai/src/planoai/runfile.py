"""The plan of the last `up`, saved in the state folder for `status`, `logs` and `down`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from planoai.plan import Address, Plan, ServicePlan
from planoai.state import StateDir

__all__ = ["load_plan", "save_plan"]


def save_plan(state: StateDir, plan: Plan) -> None:
    """Write the plan (no environment: it may hold keys)."""
    data = {
        "config": str(plan.config_path),
        "services": [
            {
                "name": item.name,
                "module": item.module,
                "args": list(item.args),
                "addresses": [[a.label, a.host, a.port] for a in item.addresses],
            }
            for item in plan.services
        ],
    }
    state.plan_file.write_text(json.dumps(data, indent=2) + "\n")


def load_plan(state: StateDir) -> Plan | None:
    """The saved plan, or None when there is none or it is unreadable."""
    try:
        data: Any = json.loads(state.plan_file.read_text())
        services = tuple(
            ServicePlan(
                name=str(item["name"]),
                module=str(item["module"]),
                addresses=tuple(
                    Address(str(a[0]), str(a[1]), int(a[2])) for a in item["addresses"]
                ),
                args=tuple(str(arg) for arg in item["args"]),
            )
            for item in data["services"]
        )
        return Plan(config_path=Path(str(data["config"])), services=services)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
