"""The prompt_gateway application answers its health check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plano_common.config import load_config
from prompt_gateway.app import build_app

QUICKSTART = Path(__file__).resolve().parents[3] / "examples" / "quickstart.yaml"


async def call(app: Any, method: str, path: str) -> tuple[int, bytes]:
    """Drive the ASGI app with one request and return (status, body)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def test_healthz_answers_200() -> None:
    app = build_app(load_config(QUICKSTART))
    assert await call(app, "GET", "/healthz") == (200, b"ok")


async def test_unknown_path_is_404() -> None:
    app = build_app(load_config(QUICKSTART))
    status, _ = await call(app, "GET", "/nope")
    assert status == 404
