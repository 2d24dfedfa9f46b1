"""The shared service runner: argument parsing, bind addresses and config failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plano_common.server import Listener, bind_listeners
from plano_common.service import ServiceSpec, main
from plano_testkit import free_port

_CONFIG = (
    "version: v0.4.0\nlisteners: []\nmodel_providers: [{model: openai/gpt-4o, access_key: k}]\n"
)


async def _app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("not called")


@pytest.mark.parametrize(("host", "url_host"), [("127.0.0.1", "127.0.0.1"), ("[::1]", "[::1]")])
def test_bind_accepts_ipv4_and_bracketed_ipv6(host: str, url_host: str) -> None:
    try:
        bound = bind_listeners([Listener("main", host, free_port(host), _app)])
    except Exception as exc:  # pragma: no cover - IPv6 may be off on the machine
        pytest.skip(f"cannot bind {host}: {exc}")
    try:
        assert bound[0].url.startswith(f"http://{url_host}:")
    finally:
        bound[0].sock.close()


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


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "http"], {}, "svc: --port: expected a port number 1-65535, got 'http'"),
        (["--port", "0"], {}, "svc: --port: expected a port number 1-65535, got '0'"),
        (["--metrics-port", "-1"], {}, "svc: --metrics-port: expected a port number 1-65535"),
        ([], {"PLANO_METRICS_PORT": "99999"}, "svc: --metrics-port: expected a port number"),
        (["--log-level", "loud"], {}, "svc: --log-level/PLANO_LOG_LEVEL: expected one of DEBUG"),
        ([], {"PLANO_LOG_LEVEL": "chatty"}, "svc: --log-level/PLANO_LOG_LEVEL: expected one"),
        ([], {"PLANO_KEEP_ALIVE_SECONDS": "-5"}, "svc: invalid setting: PLANO_KEEP_ALIVE_SECONDS"),
        ([], {"PLANO_BODY_BUDGET_BYTES": "lots"}, "svc: invalid setting: PLANO_BODY_BUDGET_BYTES"),
        (["--host", "300.0.0.1"], {}, "svc: cannot listen on main listener 300.0.0.1:"),
    ],
)
def test_bad_arguments_and_settings_exit_2_with_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    restore_root: None,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "plano.yaml"
    path.write_text(_CONFIG)
    spec = ServiceSpec(name="svc", default_port=free_port("127.0.0.1"), build_app=lambda c: _app)
    with pytest.raises(SystemExit) as caught:
        main(spec, ["--config", str(path), "--host", "127.0.0.1", *args])
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err


def test_a_settings_error_from_the_app_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_root: None
) -> None:
    def build(config: object) -> Any:
        raise ValueError("PLANO_THING: expected 'a' or 'b', got 'c'")

    path = tmp_path / "plano.yaml"
    path.write_text(_CONFIG)
    with pytest.raises(SystemExit) as caught:
        main(ServiceSpec(name="svc", default_port=1, build_app=build), ["--config", str(path)])
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["svc: invalid setting: PLANO_THING: expected 'a' or 'b', got 'c'"]


def test_the_summary_sees_the_app_itself_even_with_a_metrics_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_root: None
) -> None:
    seen: list[object] = []

    def summary(config: object, app: object) -> list[str]:
        seen.append(app)
        raise ValueError("stop here")

    path = tmp_path / "plano.yaml"
    path.write_text(_CONFIG)
    spec = ServiceSpec(name="svc", default_port=1, build_app=lambda c: _app, summary=summary)
    with pytest.raises(SystemExit):
        main(spec, ["--config", str(path), "--metrics-port", "9"])
    assert seen == [_app]


def test_a_metrics_port_hides_metrics_on_every_listener_and_keeps_one_wrapper_per_app() -> None:
    from plano_common.service import ServiceArgs, _with_metrics_listener

    async def other(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    listeners = [
        Listener("main", "127.0.0.1", 1, _app),
        Listener("again", "127.0.0.1", 2, _app),
        Listener("other", "127.0.0.1", 3, other),
    ]
    args = ServiceArgs(config="c", host="127.0.0.1", port=1, metrics_port=4)
    result = _with_metrics_listener(listeners, args)
    assert [each.name for each in result] == ["main", "again", "other", "metrics"]
    assert result[0].app is result[1].app and result[0].app is not _app
    assert result[2].app is not other and result[2].app is not result[0].app
    assert (result[3].host, result[3].port) == ("127.0.0.1", 4)
    args_off = ServiceArgs(config="c", host="127.0.0.1", port=1, metrics_port=None)
    assert _with_metrics_listener(listeners, args_off) == listeners
