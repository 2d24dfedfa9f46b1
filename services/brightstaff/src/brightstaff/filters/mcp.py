"""An MCP filter: a tool called over MCP's streamable HTTP transport at ``{url}/mcp``.

One session per filter, opened on first use (``initialize``, the ``mcp-session-id`` header,
``notifications/initialized``) and shared by every request; a server that forgets it (404 on
the session) gets a new one and the call is sent once more. A server without sessions
(stateless) is called without the header. Replies may be JSON or SSE.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
import msgspec
from yarl import URL

from brightstaff.filters.errors import CallError
from brightstaff.filters.http import CONNECT_ERRORS, CallerHttp, read_bounded, unreachable

__all__ = ["PROTOCOL_VERSION", "McpFilter", "read_jsonrpc_reply", "tool_result"]

PROTOCOL_VERSION: Final = "2024-11-05"
SESSION_HEADER: Final = "mcp-session-id"
_ACCEPT: Final = "application/json, text/event-stream"
_CLIENT_INFO: Final = {"name": "brightstaff", "version": "1.0.0"}
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
logger = logging.getLogger(__name__)


class _Reply(msgspec.Struct):
    status: int
    session: str | None
    message: dict[str, Any] | None


class McpFilter:
    """One configured MCP filter (a tool of an MCP server)."""

    kind = "mcp"

    def __init__(self, filter_id: str, url: str, tool: str, http: CallerHttp) -> None:
        self.id = filter_id
        self.tool = tool
        self._url = URL(url.rstrip("/") + "/mcp", encoded=True)
        self._http = http
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._ready = False
        self._session: str | None = None
        self._protocol = PROTOCOL_VERSION
        self.sessions_opened = 0

    @property
    def session_active(self) -> bool:
        """True while a session is held."""
        return self._ready and self._session is not None

    async def apply(self, data: bytes, path: str, headers: Mapping[str, str]) -> bytes:
        """The filtered bytes; raises `CallError`.

        A JSON body is passed to the tool as its value, any other body (an SSE chunk) as text;
        a text result comes back as raw bytes.
        """
        try:
            body: Any = _decode(data)
        except msgspec.DecodeError:
            body = data.decode("utf-8", errors="replace")
        result = await self.call(body, path, headers)
        if isinstance(result, str) and isinstance(body, str):
            return result.encode()
        return _encode(result)

    async def call(self, body: Any, path: str, headers: Mapping[str, str]) -> Any:
        """The tool's result for ``{body, path}``."""
        params = {"name": self.tool, "arguments": {"body": body, "path": path}}
        session = await self._open(headers)
        reply = await self._request("tools/call", params, session, headers)
        if reply.status == 404 and session is not None:
            session = await self._renew(session, headers)
            reply = await self._request("tools/call", params, session, headers)
        return tool_result(self.id, _checked(self.id, reply))

    async def _open(self, headers: Mapping[str, str]) -> str | None:
        if self._ready:
            return self._session
        async with self._lock:
            if not self._ready:
                await self._initialize(headers)
            return self._session

    async def _renew(self, lost: str, headers: Mapping[str, str]) -> str | None:
        async with self._lock:
            if self._session == lost or not self._ready:
                logger.info("MCP filter %s lost its session; opening a new one", self.id)
                self._ready = False
                self._session = None
                await self._initialize(headers)
            return self._session

    async def _initialize(self, headers: Mapping[str, str]) -> None:
        params = {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": _CLIENT_INFO,
        }
        reply = await self._request("initialize", params, None, headers)
        result = _checked(self.id, reply).get("result")
        if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
            self._protocol = result["protocolVersion"][:64]
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        status, _ = await self._post(note, reply.session, headers, expect_reply=False)
        if status >= 400:
            raise CallError(self.id, "invalid_reply", 502, f"initialized notification: {status}")
        self._session = reply.session
        self._ready = True
        self.sessions_opened += 1

    async def _request(
        self, method: str, params: dict[str, Any], session: str | None, headers: Mapping[str, str]
    ) -> _Reply:
        request_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        status, response = await self._post(message, session, headers, expect_reply=True)
        if response is None:
            return _Reply(status=status, session=None, message=None)
        raw, content_type, new_session = response
        if status != 200:
            return _Reply(status=status, session=new_session, message={"raw": _text(raw)})
        parsed = read_jsonrpc_reply(raw, content_type, request_id)
        if parsed is None:
            raise CallError(self.id, "invalid_reply", 502, "malformed JSON-RPC reply")
        return _Reply(status=status, session=new_session or session, message=parsed)

    async def _post(
        self,
        message: dict[str, Any],
        session: str | None,
        headers: Mapping[str, str],
        *,
        expect_reply: bool,
    ) -> tuple[int, tuple[bytes, str, str | None] | None]:
        send = {**headers, "content-type": "application/json", "accept": _ACCEPT}
        if session is not None:
            send[SESSION_HEADER] = session
            send["mcp-protocol-version"] = self._protocol
        try:
            async with self._http.session().post(
                self._url, data=_encode(message), headers=send, allow_redirects=False
            ) as response:
                raw = await read_bounded(response, self.id)
                if not expect_reply:
                    return response.status, None
                new_session = response.headers.get(SESSION_HEADER)
                if new_session is not None and not 0 < len(new_session) <= 256:
                    new_session = None
                return response.status, (raw, response.content_type, new_session)
        except CONNECT_ERRORS as exc:
            raise unreachable(self.id, "filter", exc) from None
        except aiohttp.ClientError as exc:
            raise unreachable(self.id, "filter", exc) from None

    async def close(self) -> None:
        """End the session at the server (best effort)."""
        session, self._session, self._ready = self._session, None, False
        if session is None:
            return
        try:
            async with asyncio.timeout(2.0):
                headers = {SESSION_HEADER: session, "mcp-protocol-version": self._protocol}
                async with self._http.session().delete(self._url, headers=headers):
                    pass
        except (TimeoutError, aiohttp.ClientError, OSError):
            return


def _text(raw: bytes) -> str:
    return raw[:4096].decode("utf-8", errors="replace")


def _checked(filter_id: str, reply: _Reply) -> dict[str, Any]:
    """The JSON-RPC reply of a 200 answer; the HTTP status as the failure otherwise."""
    message = reply.message or {}
    if reply.status != 200:
        detail = str(message.get("raw", ""))
        if 400 <= reply.status < 500:
            raise CallError(filter_id, "blocked", reply.status, detail)
        if reply.status >= 500:
            raise CallError(filter_id, "server_error", reply.status, detail)
        raise CallError(filter_id, "invalid_reply", 502, f"unexpected status {reply.status}")
    error = message.get("error")
    if error is not None:
        text = error.get("message") if isinstance(error, dict) else None
        raise CallError(filter_id, "invalid_reply", 502, f"JSON-RPC error: {text or error}")
    return message


def read_jsonrpc_reply(raw: bytes, content_type: str, request_id: int) -> dict[str, Any] | None:
    """The JSON-RPC response to ``request_id`` in a JSON or SSE body, else None."""
    if content_type == "text/event-stream":
        candidates = _sse_data(raw)
    else:
        candidates = [raw]
    for data in candidates:
        try:
            message = _decode(data)
        except msgspec.DecodeError:
            continue
        if (
            isinstance(message, dict)
            and message.get("id") == request_id
            and ("result" in message or "error" in message)
        ):
            return message
    return None


def _sse_data(raw: bytes) -> list[bytes]:
    events: list[bytes] = []
    for block in raw.replace(b"\r\n", b"\n").split(b"\n\n"):
        lines = [line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:")]
        if lines:
            events.append(b"\n".join(lines))
    return events


def tool_result(filter_id: str, message: dict[str, Any]) -> Any:
    """The value a ``tools/call`` result carries: ``structuredContent.result``, else the first
    text content read as JSON (or as plain text); ``isError`` blocks with 400."""
    result = message.get("result")
    if not isinstance(result, dict):
        raise CallError(filter_id, "invalid_reply", 502, "no result in the JSON-RPC reply")
    text = _first_text(result)
    if result.get("isError") is True:
        raise CallError(filter_id, "blocked", 400, text or "unknown_error")
    structured = result.get("structuredContent")
    if isinstance(structured, dict) and "result" in structured:
        return structured["result"]
    if text is None:
        raise CallError(filter_id, "invalid_reply", 502, "no content in the tool result")
    try:
        return _decode(text)
    except msgspec.DecodeError:
        return text


def _first_text(result: dict[str, Any]) -> str | None:
    content = result.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        text = content[0].get("text")
        if isinstance(text, str):
            return text
    return None
