"""Side-by-side benchmark of the model listener: client → brightstaff → llm-gateway → fake,
against llm-gateway alone and LiteLLM's proxy, in the same run.

    uv run python bench/bench_brightstaff.py            # full run (~8 minutes)
    uv run python bench/bench_brightstaff.py --quick    # smoke run (~2 minutes)

The fake upstream and this load driver share CPU core 0; the proxy under test runs on core 1.
The chain is measured twice: with each service on its own core (brightstaff on core 1,
llm-gateway on core 0 beside the fake and the driver; the layout its targets are stated for)
and with both services on core 1 (a stricter layout for a two-core machine). No routing is
configured. Reported as in bench_gateway.py: requests/s at concurrency 1, 16 and 64, latency
added over the direct fake (p50, p99 at c=1), time to first content delta of a 64-chunk stream,
CPU time per request (of brightstaff alone for the chain) and RSS. The table is written to
bench/results/brightstaff.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import (
    DRIVER_CORE,
    FULL,
    MODEL,
    PROXY_CORE,
    QUICK,
    REPLY_TEXT,
    VENV_BIN,
    Phases,
    TargetResult,
    free_port,
    gateway_config,
    litellm_config,
    litellm_python,
    measure,
    process,
    report,
    wait_http,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "brightstaff.md"
CHAIN = "brightstaff → llm-gateway"
OWN_CORES = f"{CHAIN}, own cores"
ONE_CORE = f"{CHAIN}, one core"


def chain_config(fake_port: int, gateway_port: int, model_port: int) -> str:
    """The one config of both services (model listener, egress endpoint, provider)."""
    listener = f"""  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
    timeout: 30s
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
"""
    base = gateway_config(fake_port)
    start = base.index("  - type: model")
    end = base.index("model_providers:")
    return base[:start] + listener + base[end:]


def run_chain(
    workdir: Path, fake_port: int, phases: Phases, name: str, gateway_core: int
) -> TargetResult:
    """Measure brightstaff's model listener (core 1) in front of llm-gateway (`gateway_core`)."""
    gateway_port, model_port = free_port(), free_port()
    config = workdir / "chain.yaml"
    config.write_text(chain_config(fake_port, gateway_port, model_port))
    env = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": "0"}
    gateway = [str(VENV_BIN / "llm-gateway"), "--config", str(config), "--host", "127.0.0.1"]
    gateway += ["--port", str(gateway_port)]
    brightstaff = [str(VENV_BIN / "brightstaff"), "--config", str(config), "--host", "127.0.0.1"]
    brightstaff += ["--port", str(free_port()), "--metrics-port", str(free_port())]
    with (
        process(gateway, gateway_core, env=env, log=workdir / "gateway.log"),
        process(brightstaff, PROXY_CORE, env=env, log=workdir / "brightstaff.log") as proc,
    ):
        wait_http(f"http://127.0.0.1:{gateway_port}/healthz")
        wait_http(f"http://127.0.0.1:{model_port}/healthz")
        print(name)
        return measure(name, model_port, phases, proc.pid, phases.long_run)


def run_gateway(workdir: Path, fake_port: int, phases: Phases) -> TargetResult:
    """Measure llm-gateway alone."""
    config = workdir / "gateway.yaml"
    config.write_text(gateway_config(fake_port))
    port = free_port()
    argv = [str(VENV_BIN / "llm-gateway"), "--config", str(config), "--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    env = {"PLANO_ACCESS_LOG": "off", "PLANO_METRICS_PORT": "0"}
    with process(argv, PROXY_CORE, env=env, log=workdir / "gateway-alone.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        print("llm-gateway")
        return measure("llm-gateway", port, phases, proc.pid, phases.long_run)


def run_litellm(workdir: Path, fake_port: int, phases: Phases) -> TargetResult | None:
    """Measure LiteLLM's proxy (skipped when its venv cannot be made)."""
    python = litellm_python()
    if python is None:
        return None
    config = workdir / "litellm.yaml"
    config.write_text(litellm_config(fake_port))
    port = free_port()
    argv = [str(python.parent / "litellm"), "--config", str(config), "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--num_workers", "1"]
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    with process(argv, PROXY_CORE, env=env, log=workdir / "litellm.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
        print("litellm")
        return measure("litellm", port, phases, proc.pid, phases.litellm_long_run)


def ratios(results: list[TargetResult]) -> list[str]:
    """The figures the targets are stated in, for each chain layout."""
    names = {r.name: r for r in results}
    direct = results[0]
    gateway, litellm = names.get("llm-gateway"), names.get("litellm")
    lines: list[str] = []
    for layout in (OWN_CORES, ONE_CORE):
        chain = names.get(layout)
        if chain is None:
            continue
        added = (chain.p50_c1 - direct.p50_c1) * 1e3
        ttft = (chain.ttft_p50 - direct.ttft_p50) * 1e3
        lines.append(f"- {layout}: two hops added p50 at c=1: **{added:.3f} ms** (target ≤ 1.5 ms)")
        lines.append(f"- {layout}: two hops added TTFT: **{ttft:.3f} ms** (target ≤ 2 ms)")
        if gateway is not None:
            alone = (chain.p50_c1 - gateway.p50_c1) * 1e3
            lines.append(
                f"- {layout}: brightstaff's own share of p50 (chain minus llm-gateway alone): "
                f"{alone:.3f} ms"
            )
        if litellm is not None and litellm.rps.get(16):
            ratio = chain.rps[16] / litellm.rps[16]
            lines.append(
                f"- {layout}: chain / LiteLLM requests/s at c=16: **{ratio:.1f}x** (target ≥ 6x)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--skip-litellm", action="store_true", help="measure only ours")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown result file")
    args = parser.parse_args()
    phases = QUICK if args.quick else FULL
    os.sched_setaffinity(0, {DRIVER_CORE})
    workdir = Path(tempfile.mkdtemp(prefix="bench-brightstaff-"))
    fake_port = free_port()
    fake_argv = [str(VENV_BIN / "plano-fake-upstream"), "--port", str(fake_port)]
    results: list[TargetResult] = []
    with process([*fake_argv, "--text", REPLY_TEXT], DRIVER_CORE, log=workdir / "fake.log"):
        wait_http(f"http://127.0.0.1:{fake_port}/healthz")
        print("direct fake upstream")
        results.append(measure("direct fake", fake_port, phases, None, 0))
        results.append(run_chain(workdir, fake_port, phases, OWN_CORES, DRIVER_CORE))
        results.append(run_chain(workdir, fake_port, phases, ONE_CORE, PROXY_CORE))
        results.append(run_gateway(workdir, fake_port, phases))
        litellm = None if args.skip_litellm else run_litellm(workdir, fake_port, phases)
        if litellm is not None:
            results.append(litellm)
    command = "uv run python bench/bench_brightstaff.py" + (" --quick" if args.quick else "")
    text = report(results, phases, command)
    text = text.replace("# llm-gateway benchmark", "# brightstaff (model listener) benchmark", 1)
    text = text.replace(
        "the proxy alone on core 1 (one worker).",
        f"the proxy under test on core 1 (one worker each). The chain runs twice: "
        f"`own cores` puts llm-gateway on core 0 (beside the fake and the driver) and "
        f"brightstaff on core 1; `one core` puts both on core 1. Model `{MODEL}`, no routing.",
    )
    text = text.rstrip("\n") + "\n" + "\n".join(ratios(results)) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
