"""Side-by-side benchmark: the fake upstream directly, our llm-gateway and LiteLLM's proxy.

    uv run python bench/bench_gateway.py            # full run (~6 minutes)
    uv run python bench/bench_gateway.py --quick    # smoke run (~1.5 minutes)

The fake upstream and this load driver share CPU core 0; the proxy under test runs alone on
core 1 (one worker). Each proxy is started, measured and stopped in turn against the same fake.
Reported: requests/s at concurrency 1, 16 and 64; latency added over the direct fake (p50, p99
at c=1); time to first content delta of a 64-chunk stream (added over direct); CPU time per
request (proxy process, c=16 phase); RSS after warm-up and after the long run. The table is
written to bench/results/gateway.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway_load import LoadResult, build_request, run_load

from plano_testkit import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results" / "gateway.md"
WORDS = ["Zebra"] + [f"w{i}" for i in range(63)]
REPLY_TEXT = " ".join(WORDS)
MARKER = b"Zebra"
MODEL = "gpt-4o-mini"
DRIVER_CORE = 0
PROXY_CORE = 1
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Phases:
    """How long each phase runs."""

    warmup: int
    seconds: float
    stream_requests: int
    long_run: int
    litellm_long_run: int


FULL = Phases(
    warmup=500, seconds=8.0, stream_requests=400, long_run=100_000, litellm_long_run=10_000
)
QUICK = Phases(
    warmup=200, seconds=3.0, stream_requests=150, long_run=10_000, litellm_long_run=2_000
)


@dataclass
class TargetResult:
    """Everything measured for one target."""

    name: str
    rps: dict[int, float] = field(default_factory=dict)
    p50_c1: float = 0.0
    p99_c1: float = 0.0
    ttft_p50: float = 0.0
    cpu_ms_per_request: float | None = None
    rss_warm_mb: float | None = None
    rss_long_mb: float | None = None
    long_run_requests: int = 0
    errors: int = 0


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def process(
    argv: list[str], core: int, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command pinned to one CPU core; stop it (SIGTERM, then SIGKILL) on exit."""
    sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(
        ["taskset", "-c", str(core), *argv],
        env=full_env,
        stdout=sink,
        stderr=sink,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log:
            sink.close()  # type: ignore[union-attr]


def tree_pids(pid: int) -> list[int]:
    """A process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for member in tree_pids(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def rss_mb(pid: int) -> float:
    total = 0
    for member in tree_pids(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def payload(port: int, stream: bool) -> bytes:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Say hello."}]}
    if stream:
        body["stream"] = True
    headers = {"content-type": "application/json", "authorization": "Bearer sk-client"}
    return build_request(
        "127.0.0.1", port, "/v1/chat/completions", json.dumps(body).encode(), headers
    )


def measure(name: str, port: int, phases: Phases, pid: int | None, long_run: int) -> TargetResult:
    """Run every phase against one target."""
    result = TargetResult(name)
    plain = payload(port, stream=False)
    streamed = payload(port, stream=True)

    def load(**kwargs: object) -> LoadResult:
        outcome = asyncio.run(run_load("127.0.0.1", port, **kwargs))  # type: ignore[arg-type]
        result.errors += outcome.errors + outcome.non_2xx
        return outcome

    load(payload=plain, concurrency=4, requests=phases.warmup)
    load(payload=streamed, concurrency=4, requests=phases.warmup // 4)
    c1 = load(payload=plain, concurrency=1, duration=phases.seconds)
    result.rps[1] = c1.rps
    result.p50_c1 = c1.percentile(50)
    result.p99_c1 = c1.percentile(99)
    cpu_before = cpu_seconds(pid) if pid else 0.0
    c16 = load(payload=plain, concurrency=16, duration=phases.seconds)
    if pid:
        result.cpu_ms_per_request = (cpu_seconds(pid) - cpu_before) * 1000 / len(c16.samples)
    result.rps[16] = c16.rps
    result.rps[64] = load(payload=plain, concurrency=64, duration=phases.seconds).rps
    ttft = load(payload=streamed, concurrency=1, requests=phases.stream_requests, marker=MARKER)
    result.ttft_p50 = ttft.percentile(50, ttft=True)
    if pid:
        result.rss_warm_mb = rss_mb(pid)
        load(payload=plain, concurrency=16, requests=long_run)
        result.long_run_requests = long_run
        result.rss_long_mb = rss_mb(pid)
    print(f"  {name}: rps {result.rps}, p50 {result.p50_c1 * 1e3:.3f} ms, errors {result.errors}")
    return result


def gateway_config(fake_port: int) -> str:
    return f"""version: v0.3.0
listeners:
  - type: model
    name: egress
    port: 12001
    timeout: 30s
model_providers:
  - model: openai/{MODEL}
    access_key: sk-x
    base_url: http://127.0.0.1:{fake_port}
    default: true
"""


def litellm_config(fake_port: int) -> str:
    return f"""model_list:
  - model_name: {MODEL}
    litellm_params:
      model: openai/{MODEL}
      api_base: http://127.0.0.1:{fake_port}/v1
      api_key: sk-x
litellm_settings: {{callbacks: [], num_retries: 0, request_timeout: 30}}
"""


def litellm_python() -> Path | None:
    try:
        out = subprocess.run(
            ["bash", str(ROOT / "bench" / "litellm_venv.sh")],
            check=True,
            capture_output=True,
            text=True,
        )
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"LiteLLM unavailable: {exc}", file=sys.stderr)
        return None
    return Path(out.stdout.strip())


def fmt(value: float | None, scale: float = 1.0, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * scale:.{digits}f}"


def report(results: list[TargetResult], phases: Phases, command: str) -> str:
    direct = results[0]
    rows = [
        "| target | rps c=1 | rps c=16 | rps c=64 | p50 c=1 (ms) | p99 c=1 (ms) | added p50 (ms)"
        " | added p99 (ms) | TTFT p50 (ms) | added TTFT (ms) | CPU ms/req | RSS warm (MB)"
        " | RSS after N (MB) | N | errors |",
        "|---|" + "---|" * 14,
    ]
    for r in results:
        is_direct = r is direct
        rows.append(
            "| "
            + " | ".join(
                [
                    r.name,
                    f"{r.rps.get(1, 0):.0f}",
                    f"{r.rps.get(16, 0):.0f}",
                    f"{r.rps.get(64, 0):.0f}",
                    fmt(r.p50_c1, 1e3, 3),
                    fmt(r.p99_c1, 1e3, 3),
                    "—" if is_direct else fmt(r.p50_c1 - direct.p50_c1, 1e3, 3),
                    "—" if is_direct else fmt(r.p99_c1 - direct.p99_c1, 1e3, 3),
                    fmt(r.ttft_p50, 1e3, 3),
                    "—" if is_direct else fmt(r.ttft_p50 - direct.ttft_p50, 1e3, 3),
                    fmt(r.cpu_ms_per_request, 1, 3),
                    fmt(r.rss_warm_mb, 1, 1),
                    fmt(r.rss_long_mb, 1, 1),
                    str(r.long_run_requests or "—"),
                    str(r.errors),
                ]
            )
            + " |"
        )
    ratio_lines = []
    names = {r.name: r for r in results}
    ours, litellm = names.get("llm-gateway"), names.get("litellm")
    if ours and litellm and litellm.rps.get(16):
        ratio_lines.append(
            f"- llm-gateway / LiteLLM requests/s at c=16: **{ours.rps[16] / litellm.rps[16]:.1f}x**"
        )
    header = [
        "# llm-gateway benchmark",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()},"
        f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ",
        f"Phases: {phases.seconds:.0f} s per concurrency level; TTFT over {phases.stream_requests}"
        " streamed requests of 64 content chunks; non-streaming chat completions otherwise.  ",
        "Fake upstream and load driver on core 0, the proxy alone on core 1 (one worker).",
        "",
    ]
    return "\n".join([*header, *rows, "", *ratio_lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--skip-litellm", action="store_true", help="measure only direct + ours")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown result file")
    args = parser.parse_args()
    phases = QUICK if args.quick else FULL
    os.sched_setaffinity(0, {DRIVER_CORE})
    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    fake_port = free_port()
    results: list[TargetResult] = []
    fake_argv = [str(VENV_BIN / "plano-fake-upstream"), "--port", str(fake_port)]
    with process([*fake_argv, "--text", REPLY_TEXT], DRIVER_CORE, log=workdir / "fake.log"):
        wait_http(f"http://127.0.0.1:{fake_port}/healthz")
        print("direct fake upstream")
        results.append(measure("direct fake", fake_port, phases, None, 0))

        config = workdir / "gateway.yaml"
        config.write_text(gateway_config(fake_port))
        port = free_port()
        argv = [str(VENV_BIN / "llm-gateway"), "--config", str(config)]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        with process(argv, PROXY_CORE, log=workdir / "gateway.log") as proc:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            print("llm-gateway")
            results.append(measure("llm-gateway", port, phases, proc.pid, phases.long_run))

        python = None if args.skip_litellm else litellm_python()
        if python is not None:
            config = workdir / "litellm.yaml"
            config.write_text(litellm_config(fake_port))
            port = free_port()
            litellm = python.parent / "litellm"
            argv = [str(litellm), "--config", str(config), "--host", "127.0.0.1"]
            argv += ["--port", str(port), "--num_workers", "1"]
            env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
            with process(argv, PROXY_CORE, env=env, log=workdir / "litellm.log") as proc:
                wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
                print("litellm")
                results.append(measure("litellm", port, phases, proc.pid, phases.litellm_long_run))
    command = "uv run python bench/bench_gateway.py" + (" --quick" if args.quick else "")
    text = report(results, phases, command)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
