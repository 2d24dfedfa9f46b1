"""The upstream HTTP client: one aiohttp session, pooled keep-alive connections per upstream,
TLS with the configured CA bundle, connect timeout, and retries with backoff."""

from __future__ import annotations

import asyncio
import email.utils
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from yarl import URL

from llm_gateway.settings import GatewaySettings
from plano_common.errors import BadGateway, GatewayTimeout

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_CONNECT_ERRORS = (
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ConnectionTimeoutError,
    ConnectionResetError,
)


@dataclass(slots=True)
class Attempts:
    """How many tries one request took."""

    count: int = 0


class UpstreamTransport:
    """Sends requests upstream over one shared session (created on first use in the loop)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._connector: aiohttp.TCPConnector | None = None

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self._settings.tls_ca_path)
        return context

    def session(self) -> aiohttp.ClientSession:
        """The shared session (created lazily inside the running loop)."""
        if self._session is None:
            self._connector = aiohttp.TCPConnector(
                limit=0,
                limit_per_host=self._settings.pool_per_host,
                keepalive_timeout=60,
                ssl=self._ssl_context(),
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=self._connector,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=self._settings.connect_timeout,
                    sock_connect=self._settings.connect_timeout,
                ),
                auto_decompress=True,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Content-Type"),
            )
        return self._session

    def open_connections(self) -> int:
        """Upstream connections currently open (idle in the pool or in use)."""
        connector = self._connector
        if connector is None or connector.closed:
            return 0
        idle = sum(len(conns) for conns in connector._conns.values())
        return idle + len(connector._acquired)

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._connector = None

    async def send(
        self,
        url: URL,
        headers: Mapping[str, str],
        body: bytes,
        attempts: Attempts,
        deadline: float,
    ) -> aiohttp.ClientResponse:
        """POST with retries on connect errors, 429 and 5xx (honouring Retry-After within the
        deadline). Returns the final response, headers read and body unread; raises
        BadGateway when the upstream cannot be reached or answers with something other than
        HTTP."""
        session = self.session()
        settings = self._settings
        while True:
            attempts.count += 1
            final = attempts.count > settings.max_retries
            try:
                response = await session.post(
                    url, data=body, headers=headers, allow_redirects=False
                )
            except _CONNECT_ERRORS as exc:
                if final or not _sleep_fits(self._backoff(attempts.count), deadline):
                    raise _unreachable(exc) from exc
                await asyncio.sleep(self._backoff(attempts.count))
                continue
            except aiohttp.ClientError as exc:
                raise BadGateway(f"upstream sent an invalid response: {exc}") from exc
            if final or response.status not in RETRYABLE_STATUSES:
                return response
            delay = retry_after_seconds(response.headers.get("retry-after"))
            if delay is None:
                delay = self._backoff(attempts.count)
            if not _sleep_fits(delay, deadline):
                return response
            response.release()
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base·2^(n-1), capped, scaled by [0.5, 1]."""
        settings = self._settings
        growth: float = 2.0 ** (attempt - 1)
        ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * growth)
        return ceiling * (0.5 + random.random() / 2)


def _sleep_fits(delay: float, deadline: float) -> bool:
    return time.monotonic() + delay < deadline


def _unreachable(exc: BaseException) -> BadGateway | GatewayTimeout:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return GatewayTimeout(f"upstream connect timeout: {exc}")
    return BadGateway(f"upstream connection failed: {exc}")


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - time.time())
