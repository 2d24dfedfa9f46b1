"""`run_service` against a stand-in service module written for the test."""

from __future__ import annotations

import textwrap
import urllib.request
from pathlib import Path

import pytest

from plano_testkit.services import ServiceStartError, free_port, run_service

DUMMY_MAIN = textwrap.dedent(
    """
    import argparse, os, signal, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    text = open(args.config).read()
    if "invalid" in text:
        sys.stderr.write("dummy: invalid config\\n")
        sys.exit(2)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            greeting = os.environ.get("DUMMY_GREETING", "none")
            body = (greeting if self.path == "/greeting" else "ok").encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    sys.stderr.write(f"dummy started with {text.strip()}\\n")
    server.serve_forever()
    sys.stderr.write("dummy stopped cleanly\\n")
    """
)


@pytest.fixture
def dummy_package(tmp_path: Path) -> dict[str, str]:
    package = tmp_path / "plano_dummy_service"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(DUMMY_MAIN)
    return {"PYTHONPATH": str(tmp_path)}


def test_runs_until_healthy_and_stops_with_sigterm(dummy_package: dict[str, str]) -> None:
    env = {**dummy_package, "DUMMY_GREETING": "hello"}
    with run_service("plano_dummy_service", "listeners: []\n", env=env) as service:
        with urllib.request.urlopen(service.url + "/greeting") as response:
            assert response.read() == b"hello"
        assert service.config_path.read_text() == "listeners: []\n"
        assert "dummy started with listeners: []" in service.wait_for_log("dummy started")
        assert service.returncode is None
    assert service.returncode == 0
    assert "dummy stopped cleanly" in service.stderr_text()


def test_config_path_is_used_as_is(dummy_package: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("version: v0.3.0\n")
    with run_service("plano_dummy_service", config, env=dummy_package) as service:
        assert service.config_path == config.resolve()
        assert "version: v0.3.0" in service.stderr_text()


def test_early_exit_raises_with_stderr(dummy_package: dict[str, str]) -> None:
    with (
        pytest.raises(ServiceStartError, match=r"(?s)status 2.*invalid config"),
        run_service("plano_dummy_service", "invalid: true\n", env=dummy_package),
    ):
        pass


def test_free_port_never_hands_out_a_port_twice() -> None:
    ports = [free_port() for _ in range(2000)]
    assert len(set(ports)) == len(ports)
