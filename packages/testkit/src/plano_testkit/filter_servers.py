"""Filter servers for brightstaff's filter tests, each run as its own process.

``python -m plano_testkit.filter_servers --port N --mcp-mode json|sse`` serves:

- an MCP server built with the official ``mcp`` SDK at ``/mcp`` (streamable HTTP; replies as
  JSON or as SSE) with the tools below, each taking ``(body, path)`` like a Plano filter;
- the same filters as plain HTTP filters at ``/http/<tool><request path>`` (POST a JSON body,
  get the filtered body; ``block`` answers 400, ``fail`` 500, ``slow`` waits);
- ``/broken/mcp``: an endpoint answering every JSON-RPC call with a malformed reply.

| tool | effect |
|---|---|
| ``rag`` | adds a system message ``RAG context: <n> documents`` before the messages |
| ``block`` | blocks (MCP: ``isError``; HTTP: 400) any request whose text says ``forbidden`` |
| ``redact`` | replaces ``secret`` with ``[REDACTED]`` (JSON bodies and raw SSE text alike) |
| ``slow`` | waits ``--slow-seconds`` then returns the body unchanged |
| ``fail`` | MCP: raises (``isError``); HTTP: answers 500 |
| ``echo`` | returns the body unchanged (any other HTTP filter name does the same) |

Counters of MCP sessions and tool calls are served at ``GET /stats``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

__all__ = ["REDACTED", "build_app", "main"]

REDACTED = "[REDACTED]"
RAG_PREFIX = "RAG context:"
_stats: dict[str, int] = {"initialize": 0, "tool_calls": 0, "http_calls": 0}


def rag(body: Any) -> Any:
    """The body with a retrieved-context system message first."""
    messages = list(body.get("messages") or [])
    note = {"role": "system", "content": f"{RAG_PREFIX} {len(messages)} documents"}
    return {**body, "messages": [note, *messages]}


def blocked(body: Any) -> bool:
    """True when the body mentions ``forbidden``."""
    return "forbidden" in json.dumps(body)


def redact(body: Any) -> Any:
    """``secret`` replaced by the redaction marker, in a string or any JSON value."""
    if isinstance(body, str):
        return body.replace("secret", REDACTED)
    return json.loads(json.dumps(body).replace("secret", REDACTED))


def _mcp_server(slow_seconds: float) -> MCPServer:
    server = MCPServer("plano-test-filters")

    @server.tool(name="rag")
    def rag_tool(body: dict[str, Any], path: str) -> dict[str, Any]:
        _stats["tool_calls"] += 1
        return dict(rag(body))

    @server.tool(name="block")
    def block_tool(body: dict[str, Any], path: str) -> dict[str, Any]:
        _stats["tool_calls"] += 1
        if blocked(body):
            raise ToolError("content_blocked")
        return body

    @server.tool(name="redact")
    def redact_tool(body: Any, path: str) -> Any:
        _stats["tool_calls"] += 1
        return redact(body)

    @server.tool(name="slow")
    async def slow_tool(body: dict[str, Any], path: str) -> dict[str, Any]:
        _stats["tool_calls"] += 1
        await asyncio.sleep(slow_seconds)
        return body

    @server.tool(name="echo")
    def echo_tool(body: dict[str, Any], path: str) -> dict[str, Any]:
        _stats["tool_calls"] += 1
        return body

    @server.tool(name="fail")
    def fail_tool(body: dict[str, Any], path: str) -> dict[str, Any]:
        _stats["tool_calls"] += 1
        raise RuntimeError("filter exploded")

    return server


async def _http_filter(request: Request) -> Response:
    _stats["http_calls"] += 1
    tool = request.path_params["tool"]
    raw = await request.body()
    slow: float = request.app.state.slow_seconds
    if tool == "fail":
        return JSONResponse({"error": "filter exploded"}, status_code=500)
    if tool == "slow":
        await asyncio.sleep(slow)
        return Response(raw, media_type="application/json")
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", errors="replace")
    if tool == "block" and blocked(body):
        return JSONResponse({"error": "content_blocked"}, status_code=400)
    if tool == "rag":
        return JSONResponse(rag(body))
    if tool == "redact":
        out = redact(body)
        if isinstance(out, str):
            return Response(out.encode(), media_type="text/event-stream")
        return JSONResponse(out)
    return Response(raw, media_type="application/json")


async def _broken_mcp(request: Request) -> Response:
    raw = await request.body()
    try:
        method = json.loads(raw).get("method")
    except ValueError:
        method = None
    headers = {"mcp-session-id": "broken-session"}
    if method == "notifications/initialized":
        return Response(status_code=202, headers=headers)
    return Response(b'{"jsonrpc": "2.0", "id": ', media_type="application/json", headers=headers)


async def _stats_route(_: Request) -> Response:
    return JSONResponse(_stats)


def build_app(mcp_mode: str, slow_seconds: float) -> Starlette:
    """The Starlette app serving the MCP filters, the HTTP filters and the broken endpoint."""
    server = _mcp_server(slow_seconds)
    mcp_app = server.streamable_http_app(json_response=mcp_mode == "json")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    async def counting_mcp(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            names = {name for name, _ in scope["headers"]}
            if b"mcp-session-id" not in names:
                _stats["initialize"] += 1
        await mcp_app(scope, receive, send)

    app = Starlette(
        routes=[
            Route("/stats", _stats_route),
            Route("/healthz", lambda _: Response(b"ok")),
            Route("/broken/mcp", _broken_mcp, methods=["POST", "DELETE"]),
            Route("/http/{tool}/{rest:path}", _http_filter, methods=["POST"]),
            Mount("/", app=counting_mcp),
        ],
        lifespan=lifespan,
    )
    app.state.slow_seconds = slow_seconds
    return app


def main() -> None:
    """Run the filter server until interrupted."""
    parser = argparse.ArgumentParser(prog="plano-filter-servers", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mcp-mode", choices=("json", "sse"), default="json")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    args = parser.parse_args()
    app = build_app(args.mcp_mode, args.slow_seconds)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
