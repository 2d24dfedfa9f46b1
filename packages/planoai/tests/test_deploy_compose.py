"""Each service starts on this machine with exactly the command and environment its compose
file gives (entrypoint and health port from its Dockerfile, config from its read-only mount), so
deploy/ cannot drift from the services' command line.

Published ports are remapped to free ports (the same number everywhere it appears: command,
environment, config listeners) and the Redis/PostgreSQL addresses point at the test servers;
everything else is taken verbatim."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from plano_testkit import free_port

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
MODULES = {
    "llm-gateway": "llm_gateway",
    "brightstaff": "brightstaff",
    "prompt-gateway": "prompt_gateway",
}
FOLDERS = {
    "llm-gateway": "llm_gateway",
    "brightstaff": "brightstaff",
    "prompt-gateway": "prompt_gateway",
}
_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}")


def _dockerfile(name: str) -> tuple[list[str], int]:
    text = (DEPLOY / name / "Dockerfile").read_text()
    entry = re.search(r"^ENTRYPOINT (\[.*\])$", text, re.MULTILINE)
    health = re.search(r"http://127\.0\.0\.1:(\d+)/healthz", text)
    assert entry and health, f"{name}: Dockerfile without ENTRYPOINT or HEALTHCHECK"
    return json.loads(entry.group(1)), int(health.group(1))


def _interpolate(value: str, environ: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if environ.get(name):
            return environ[name]
        assert kind == "-", f"${{{name}}} is required and not given by the test"
        return default

    return _VARIABLE.sub(replace, value)


def _console_script_module(script: str) -> str:
    folder = REPO / "services" / FOLDERS[script]
    scripts = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["scripts"]
    target = scripts[script]
    assert target.endswith(".__main__:main"), target
    return str(target.split(".")[0])


def _remap_config(source: Path, ports: dict[int, int], target: Path) -> None:
    data = yaml.safe_load(source.read_text())
    for listener in data["listeners"]:
        port = int(listener["port"])
        listener["port"] = ports[port] if port in ports else free_port()
    target.write_text(yaml.safe_dump(data, sort_keys=False))


def _healthy(url: str, process: subprocess.Popen[bytes], log: Path, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} not healthy:\n{log.read_text()}")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_service_starts_as_its_compose_file_says(
    name: str, tmp_path: Path, redis_url: str, database_url: str
) -> None:
    service: dict[str, Any] = yaml.safe_load((DEPLOY / name / "compose.yaml").read_text())[
        "services"
    ][name]
    entrypoint, health_port = _dockerfile(name)
    assert entrypoint == [name]
    assert _console_script_module(name) == MODULES[name]
    published = [int(str(item).split(":")[-1]) for item in service["ports"]]
    assert health_port in published
    command = [str(arg) for arg in service["command"]]
    assert command[command.index("--port") + 1] == str(health_port)
    mount = next(v for v in service["volumes"] if v["target"] == "/etc/plano/config.yaml")
    assert mount["read_only"] is True and service["read_only"] is True

    ports = {port: free_port() for port in published}
    config = tmp_path / "config.yaml"
    _remap_config((DEPLOY / name / mount["source"]).resolve(), ports, config)
    given = {"OPENAI_API_KEY": "sk-fake", "ANTHROPIC_API_KEY": "sk-ant-fake"}
    given |= {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
    environment = {
        key: _interpolate(str(value), given) for key, value in service["environment"].items()
    }
    environment = {
        k: str(ports.get(int(v), v)) if v.isdigit() else v for k, v in environment.items()
    }
    environment["PLANO_RATELIMIT_REDIS_URL"] = redis_url
    argv = [str(ports.get(int(a), a)) if a.isdigit() else a for a in command]
    argv[argv.index("/etc/plano/config.yaml")] = str(config)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANO_", "OTEL_"))}
    log = tmp_path / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", MODULES[name], *argv],
            env={**env, **environment, "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        for port in ports.values():
            listening = f"http://127.0.0.1:{port}/healthz"
            _healthy(listening, process, log)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0, log.read_text()
