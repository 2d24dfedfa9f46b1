"""The pieces of planoai without processes: service choice, ports, pass-through config, CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plano_common.config import load_config_text
from planoai.cli import cli
from planoai.passthrough import passthrough_config
from planoai.plan import PlanError, build_plan, needed_services

BASE = "version: v0.3.0\nmodel_providers:\n  - model: openai/*\n    passthrough_auth: true\n"
PROMPT = BASE + (
    "listeners:\n  - type: prompt\n    name: p\n    port: 10000\n"
    "prompt_targets:\n  - name: t\n    description: d\n"
)


def _plan(text: str, env: dict[str, str] | None = None, only: tuple[str, ...] = ()) -> Any:
    import yaml

    config = load_config_text(text, environ={})
    return build_plan(Path("c.yaml"), config, yaml.safe_load(text), env or {}, only)


def test_model_only_config_runs_gateway_and_brightstaff() -> None:
    text = BASE + "listeners:\n  - type: model\n    name: m\n    port: 12000\n"
    plan = _plan(text)
    assert [s.name for s in plan.services] == ["llm-gateway", "brightstaff"]
    brightstaff = plan.service("brightstaff")
    assert [a.port for a in brightstaff.addresses] == [9091, 12000, 9092]
    assert brightstaff.env["LLM_PROVIDER_ENDPOINT"] == "http://127.0.0.1:12001"


def test_prompt_targets_add_the_prompt_gateway() -> None:
    config = load_config_text(PROMPT, environ={})
    import yaml

    assert needed_services(config, yaml.safe_load(PROMPT)) == [
        "llm-gateway",
        "brightstaff",
        "prompt-gateway",
    ]
    plan = _plan(PROMPT, {"PLANOAI_BRIGHTSTAFF_PORT": "19091"})
    gateway = plan.service("prompt-gateway")
    assert [a.port for a in gateway.addresses] == [10001, 10000]
    assert gateway.env["PLANO_FUNCTION_CALLING_URL"] == "http://127.0.0.1:19091/function_calling"


def test_egress_port_follows_the_llm_gateway_endpoint() -> None:
    text = BASE + (
        "listeners:\n  - type: model\n    name: m\n    port: 12000\n"
        "endpoints:\n  llm_gateway:\n    endpoint: 127.0.0.1:15001\n"
    )
    plan = _plan(text, only=("llm-gateway",))
    assert [s.name for s in plan.services] == ["llm-gateway"]
    assert plan.services[0].addresses[0].port == 15001
    assert "--port" in plan.services[0].args


def test_bad_port_variable_is_one_line() -> None:
    with pytest.raises(PlanError, match="PLANOAI_BRIGHTSTAFF_PORT: expected a port number"):
        _plan(PROMPT, {"PLANOAI_BRIGHTSTAFF_PORT": "99999"})


def test_passthrough_config_uses_found_keys() -> None:
    text = passthrough_config({"GROQ_API_KEY": "g", "OPENAI_API_KEY": "o"})
    assert "access_key: $GROQ_API_KEY" in text
    assert "access_key: $OPENAI_API_KEY" in text
    assert "anthropic/*\n    passthrough_auth: true" in text
    config = load_config_text(text, environ={"GROQ_API_KEY": "g", "OPENAI_API_KEY": "o"})
    assert {p.prefix for p in config.model_providers if not p.internal} >= {"groq", "openai"}


def test_passthrough_config_without_keys_forwards_client_keys() -> None:
    config = load_config_text(passthrough_config({}), environ={})
    assert all(p.passthrough_auth for p in config.model_providers if not p.internal)


@pytest.mark.parametrize(
    "command", ["up", "down", "status", "logs", "validate", "init", "trace", "obs"]
)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_validate_reports_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: v0.3.0\nlisteners: []\nmodel_providers:\n  - model: nope\n")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    good = tmp_path / "good.yaml"
    good.write_text(PROMPT)
    result = CliRunner().invoke(cli, ["validate", str(good)])
    assert result.exit_code == 0
    assert "valid (starts llm-gateway, brightstaff, prompt-gateway)" in result.output


def test_logs_and_status_without_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANOAI_HOME", str(tmp_path / "home"))
    assert CliRunner().invoke(cli, ["status"]).exit_code == 3
    assert "no logs yet" in CliRunner().invoke(cli, ["logs"]).output
    assert "nothing is running" in CliRunner().invoke(cli, ["down"]).output


def test_quantile_interpolates_cumulative_buckets() -> None:
    from planoai.obs import quantile

    buckets = {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, float("inf"): 100.0}
    assert quantile(buckets, 0.5) == pytest.approx(0.1)
    assert quantile(buckets, 0.95) == pytest.approx(0.75)
    assert quantile({}, 0.95) is None


def test_obs_parses_llm_gateway_metrics() -> None:
    from planoai.obs import parse_metrics, stats_table

    text = (
        "# TYPE llm_gateway_requests_total counter\n"
        'llm_gateway_requests_total{provider="openai",model="gpt-4o",status="200"} 3\n'
        'llm_gateway_requests_total{provider="openai",model="gpt-4o",status="502"} 1\n'
        "# TYPE llm_gateway_output_tokens_total counter\n"
        'llm_gateway_output_tokens_total{provider="openai",model="gpt-4o"} 40\n'
    )
    stats = parse_metrics(text)["gpt-4o"]
    assert (stats.requests, stats.errors, stats.output_tokens) == (4, 1, 40)
    assert stats_table({"gpt-4o": stats}, {}, 2.0).row_count == 1


def test_span_tree_nests_children_under_parents() -> None:
    from rich.console import Console

    from planoai.spans import SpanRecord, TraceBuffer, render_trace

    root = SpanRecord("t1", "a", "", "plano", "POST /v1/chat/completions", 0, 5_000_000)
    child = SpanRecord("t1", "b", "a", "plano(llm)", "openai gpt-4o", 1_000_000, 4_000_000)
    buffer = TraceBuffer(quiet=1.0)
    buffer.add([child, root])
    assert buffer.done() == []
    (spans,) = buffer.done(now=10**9)
    console = Console(width=120, record=True)
    console.print(render_trace(spans))
    text = console.export_text()
    assert text.index("POST /v1/chat/completions") < text.index("openai gpt-4o")
    assert "3.0 ms" in text
