"""Outgoing HTTP calls: one aiohttp session, per-call timeouts, bounded bodies, no redirects.

Paths are sent exactly as built (`yarl.URL(..., encoded=True)`): a percent-encoded argument is
never decoded or normalized on the way, so it stays inside its path segment.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from plano_common.config.types import Endpoint
from plano_common.errors import BadGateway
from prompt_gateway.errors import UpstreamUnreachableError

__all__ = ["Callouts", "Target", "UpstreamReply", "endpoint_target", "url_target"]

_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """Where a callout goes: the name used in errors, the base URL and connection options."""

    name: str
    base_url: str
    connect_timeout: float
    host_header: str | None = None
    ssl: ssl.SSLContext | bool = True
    server_hostname: str | None = None
    path: str = ""
    """The path (and query) of a configured URL; calls to it send this path."""


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    """A whole (bounded) upstream answer."""

    status: int
    body: bytes
    content_type: str


def _ssl_context(ca_path: str | None) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=ca_path) if ca_path else True


def endpoint_target(endpoint: Endpoint, connect_timeout: float, ca_path: str | None) -> Target:
    """The target of an `endpoints` entry (host, port, protocol, http_host, timeouts, TLS)."""
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    prefix = (endpoint.path_prefix or "").rstrip("/")
    https = endpoint.protocol == "https"
    return Target(
        name=endpoint.name,
        base_url=f"{endpoint.protocol}://{host}:{endpoint.port}{prefix}",
        connect_timeout=endpoint.connect_timeout_seconds or connect_timeout,
        host_header=endpoint.http_host,
        ssl=_ssl_context(ca_path) if https else False,
        server_hostname=endpoint.http_host if https else None,
    )


def url_target(name: str, url: str, connect_timeout: float, ca_path: str | None) -> Target:
    """The target of a configured URL (function calling, guard, egress): origin and path."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        name=name,
        base_url=f"{parts.scheme}://{parts.netloc}",
        connect_timeout=connect_timeout,
        ssl=_ssl_context(ca_path) if parts.scheme == "https" else False,
        path=path,
    )


class Callouts:
    """The gateway's HTTP client (created on first use, closed at shutdown)."""

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=512, limit_per_host=128)
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=True, trust_env=False
            )
        return self._session

    async def open(
        self,
        target: Target,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        time_limit: float,
    ) -> aiohttp.ClientResponse:
        """Send a request and return the response with its body unread (caller releases it)."""
        sent = dict(headers)
        if target.host_header:
            sent["Host"] = target.host_header
        options: dict[str, Any] = {"ssl": target.ssl}
        if target.server_hostname:
            options["server_hostname"] = target.server_hostname
        try:
            return await self._client().request(
                method,
                URL(target.base_url + path, encoded=True),
                headers=sent,
                data=body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=time_limit, connect=target.connect_timeout),
                **options,
            )
        except TimeoutError as exc:
            raise UpstreamUnreachableError(
                target.name, path, str(exc) or "timeout", timed_out=True
            ) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise UpstreamUnreachableError(
                target.name, path, str(exc) or type(exc).__name__, timed_out=False
            ) from None

    async def call(
        self,
        target: Target,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        time_limit: float,
    ) -> UpstreamReply:
        """Send a request and read its whole body (at most `max_body_bytes`)."""
        response = await self.open(target, method, path, headers, body, time_limit)
        try:
            data = await self.read_body(response, target, path)
        finally:
            response.release()
        return UpstreamReply(response.status, data, response.headers.get("content-type", ""))

    async def read_body(self, response: aiohttp.ClientResponse, target: Target, path: str) -> bytes:
        """The body of `response`, refused with 502 beyond `max_body_bytes`."""
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = await response.content.read(_READ_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise BadGateway(
                        f"upstream body from host={target.name} exceeds {self.max_body_bytes} bytes"
                    )
                parts.append(chunk)
        except TimeoutError as exc:
            raise UpstreamUnreachableError(
                target.name, path, str(exc) or "timeout", timed_out=True
            ) from None
        except aiohttp.ClientError as exc:
            raise UpstreamUnreachableError(
                target.name, path, str(exc) or type(exc).__name__, timed_out=False
            ) from None
        return b"".join(parts)

    async def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None
