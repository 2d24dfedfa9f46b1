"""The prompt_gateway application answers its health check."""

from __future__ import annotations

from pathlib import Path

from plano_common.config import load_config
from plano_testkit.asgi import call_asgi
from prompt_gateway.app import build_app

QUICKSTART = Path(__file__).resolve().parents[3] / "examples" / "quickstart.yaml"


async def test_healthz_answers_200() -> None:
    app = build_app(load_config(QUICKSTART))
    assert await call_asgi(app, "GET", "/healthz") == (200, b"ok")


async def test_unknown_path_is_404() -> None:
    app = build_app(load_config(QUICKSTART))
    status, _ = await call_asgi(app, "GET", "/nope")
    assert status == 404
