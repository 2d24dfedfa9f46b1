"""Client compatibility checks for libraries kept out of the project's dependencies.

LiteLLM (as a client) is heavy and instructor pins an older jiter than the project's openai,
so both run from their own venvs (`bench/litellm_venv.sh`, `bench/instructor_venv.sh`, created
on first use from PyPI). This script, run from the project's environment, starts the fake
upstream and a real llm_gateway process, then runs each check of
`bench/compat_clients/<library>_checks.py` in that library's venv against the gateway, with the
fake's replies scripted per check. Everything runs offline on 127.0.0.1.

    uv run python bench/client_compat.py [--only litellm|instructor]

Prints one line per check and ends with `N passed, M failed`; exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hermesllm.translate.structured_output import OUTPUT_TOOL_NAME
from plano_testkit import run_service
from plano_testkit.fake_upstream import FakeUpstream
from plano_testkit.reply import Reply, ToolCall

HERE = Path(__file__).resolve().parent
CHECK_TIMEOUT = 180.0
COLOR = {"name": "red", "hex": "#ff0000"}
WEATHER_CALL = ToolCall(name="get_weather", arguments={"city": "Paris"})


@dataclass(frozen=True)
class Check:
    """One check: the library, the check's name in its script, the fake's replies."""

    library: str
    name: str
    replies: tuple[Reply, ...]
    forced_tool: str | None = None
    """The tool the Bedrock request must force (`toolConfig.toolChoice.tool.name`)."""


CHECKS = (
    Check("litellm", "chat_via_openai_provider", (Reply(text="hello from the fake"),)),
    Check("litellm", "chat_stream", (Reply(text="streamed hello"),)),
    Check("litellm", "tool_call", (Reply(tool_calls=[WEATHER_CALL]),)),
    Check("litellm", "anthropic_provider_messages", (Reply(text="hello from claude"),)),
    Check("litellm", "anthropic_provider_stream", (Reply(text="streamed claude"),)),
    Check("litellm", "responses_api", (Reply(text="hello from responses"),)),
    Check(
        "litellm",
        "json_schema_on_bedrock",
        (Reply(tool_calls=[ToolCall(name=OUTPUT_TOOL_NAME, arguments=COLOR)]),),
        OUTPUT_TOOL_NAME,
    ),
    Check(
        "instructor",
        "tools_mode_on_anthropic",
        (Reply(tool_calls=[ToolCall(name="Color", arguments=COLOR)]),),
    ),
    Check(
        "instructor",
        "json_mode_on_bedrock",
        (Reply(tool_calls=[ToolCall(name=OUTPUT_TOOL_NAME, arguments=COLOR)]),),
        OUTPUT_TOOL_NAME,
    ),
    Check(
        "instructor",
        "json_schema_mode_on_bedrock",
        (Reply(tool_calls=[ToolCall(name=OUTPUT_TOOL_NAME, arguments=COLOR)]),),
        OUTPUT_TOOL_NAME,
    ),
    Check(
        "instructor",
        "responses_tools_mode_on_bedrock",
        (Reply(tool_calls=[ToolCall(name="Color", arguments=COLOR)]),),
        "Color",
    ),
    Check("instructor", "json_mode_on_openai", (Reply(text='{"name": "red", "hex": "#ff0000"}'),)),
)

CONFIG = """version: v0.4.0
listeners:
  - {{type: model, name: egress, port: 12001}}
model_providers:
  - {{model: openai/gpt-4o, access_key: sk-openai, base_url: '{url}/v1', default: true}}
  - {{model: anthropic/claude-sonnet-4-20250514, access_key: sk-ant, base_url: '{url}'}}
  - {{model: amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0, access_key: br-key,
      base_url: '{url}'}}
model_aliases:
  smart: {{target: gpt-4o}}
"""


def venv_python(library: str) -> str:
    """The python of the library's venv (created on first use)."""
    script = HERE / f"{library}_venv.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def run_check(python: str, check: Check, gateway_url: str) -> tuple[bool, str, float]:
    """Run one check in its venv; (passed, last output line, seconds)."""
    script = HERE / "compat_clients" / f"{check.library}_checks.py"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [python, str(script), check.name, gateway_url],
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {CHECK_TIMEOUT:.0f}s", time.perf_counter() - started
    output = (done.stdout + done.stderr).strip().splitlines()
    detail = output[-1] if output else ""
    return done.returncode == 0, detail, time.perf_counter() - started


def forced_tool_sent(fake: FakeUpstream, tool: str, detail: str) -> tuple[bool, str]:
    """Whether the last upstream request forced `tool`; the verdict and its detail."""
    body = fake.last_request.json if fake.requests else None
    config = body.get("toolConfig", {}) if isinstance(body, dict) else {}
    if config.get("toolChoice") == {"tool": {"name": tool}}:
        return True, f"{detail} (Bedrock request forced {tool})"
    return False, f"the Bedrock request did not force {tool}: {config.get('toolChoice')}"


def main() -> int:
    """Run the checks and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted({c.library for c in CHECKS}))
    args = parser.parse_args()
    checks = [c for c in CHECKS if args.only in (None, c.library)]
    pythons = {library: venv_python(library) for library in {c.library for c in checks}}
    passed = failed = 0
    with FakeUpstream() as fake:
        config = CONFIG.format(url=fake.url)
        with run_service("llm_gateway", config, env={"PLANO_ACCESS_LOG": "off"}) as gateway:
            for check in checks:
                fake.reset()
                fake.enqueue(*check.replies)
                ok, detail, seconds = run_check(pythons[check.library], check, gateway.url)
                if ok and check.forced_tool is not None:
                    ok, detail = forced_tool_sent(fake, check.forced_tool, detail)
                passed, failed = passed + ok, failed + (not ok)
                verdict = "PASS" if ok else "FAIL"
                print(f"{verdict} {check.library:<10} {check.name:<34} {seconds:5.1f}s  {detail}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
