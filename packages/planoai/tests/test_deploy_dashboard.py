"""Every metric the Grafana dashboard queries is one the running services expose on /metrics."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from plano_testkit import free_port

REPO = Path(__file__).resolve().parents[3]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "plano.json"
METRIC = re.compile(r"\b((?:llm_gateway|brightstaff|prompt_gateway|plano)_[a-z0-9_]+)")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def _exposed(url: str) -> set[str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.update(name + suffix for suffix in SUFFIXES.get(kind, ("",)))
    return names


def test_dashboard_queries_name_exposed_metrics(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "plano.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": "v0.3.0",
                "listeners": [
                    {"type": "model", "name": "m", "address": "127.0.0.1", "port": free_port()},
                    {"type": "prompt", "name": "p", "address": "127.0.0.1", "port": free_port()},
                ],
                "model_providers": [{"model": "openai/*", "passthrough_auth": True}],
            }
        )
    )
    started = cli.run(["up", str(config)], {"PLANO_METRICS_PORT": None})
    assert started.returncode == 0, started.stderr + started.stdout
    exposed: set[str] = set()
    for variable in ("PLANOAI_LLM_GATEWAY_PORT", "PLANOAI_BRIGHTSTAFF_METRICS_PORT"):
        exposed |= _exposed(f"http://127.0.0.1:{cli.port(variable)}/metrics")
    exposed |= _exposed(f"http://127.0.0.1:{cli.port('PLANOAI_PROMPT_GATEWAY_PORT')}/metrics")

    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(expressions) >= 10
    for expression in expressions:
        named = METRIC.findall(expression)
        assert named, f"no Plano metric in {expression!r}"
        missing = sorted(set(named) - exposed)
        assert not missing, f"{expression!r} names metrics /metrics does not expose: {missing}"
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for topic in (
        "requests",
        "latency",
        "first token",
        "tokens",
        "errors",
        "rate-limited",
        "routing",
    ):
        assert topic in titles
