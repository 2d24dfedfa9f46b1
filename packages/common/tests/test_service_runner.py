"""The shared service runner: argument parsing, bind addresses and config failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plano_common.service import ServiceArgs, ServiceSpec, hypercorn_config, main


def _args(host: str) -> ServiceArgs:
    return ServiceArgs(config="plano.yaml", host=host, port=12001)


@pytest.mark.parametrize(
    ("host", "bind"),
    [("0.0.0.0", "0.0.0.0:12001"), ("::", "[::]:12001"), ("[::1]", "[::1]:12001")],
)
def test_bind_address_brackets_ipv6(host: str, bind: str) -> None:
    assert hypercorn_config(_args(host)).bind == [bind]


def test_invalid_config_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_root: None
) -> None:
    path = tmp_path / "plano.yaml"
    path.write_text("version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 0}\n")
    spec = ServiceSpec(name="svc", default_port=1, build_app=lambda config: config)
    with pytest.raises(SystemExit) as caught:
        main(spec, ["--config", str(path)])
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"svc: invalid config: {path}:3: listeners[0].port: 0 must be")


def test_config_warnings_use_the_configured_log_format(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    restore_root: None,
) -> None:
    monkeypatch.delenv("PLANO_LOG_FORMAT", raising=False)
    path = tmp_path / "plano.yaml"
    path.write_text("version: v0.4.0\nlisteners: []\nllm_providers: [{model: openai/o3}]\n")

    def stop(config: object) -> Any:
        raise RuntimeError("stop before serving")

    with pytest.raises(RuntimeError):
        main(ServiceSpec(name="svc", default_port=1, build_app=stop), ["--config", str(path)])
    err = capsys.readouterr().err
    assert "svc WARNING plano.config: " in err and "llm_providers is deprecated" in err
