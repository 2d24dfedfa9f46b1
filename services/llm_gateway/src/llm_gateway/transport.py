"""The upstream HTTP client: one aiohttp session, pooled keep-alive connections per upstream,
TLS with the configured CA bundle, connect timeout, and retries with backoff.

Concurrency per upstream host is bounded (`UpstreamLimits.max_connections_per_host`, see
`upstream_slots`); a request over that bound waits for a slot for at most the pool wait, which
is separate from the connect timeout (that one covers only DNS, TCP and TLS)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from prometheus_client import CollectorRegistry
from yarl import URL

from llm_gateway.settings import GatewaySettings
from llm_gateway.upstream_slots import HostSlots, PoolMetrics, SlottedResponse
from llm_gateway.upstream_sockets import SocketCounter
from plano_common.errors import BadGateway, GatewayTimeout

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_CONNECT_ERRORS = (
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ConnectionTimeoutError,
    ConnectionResetError,
)
logger = logging.getLogger(__name__)
ACCEPTED_ENCODINGS = "gzip, deflate"
"""The encodings offered upstream: ones aiohttp inflates in bounded steps, whatever optional
decompression libraries happen to be installed."""


@dataclass(slots=True)
class Attempts:
    """How many tries one request took."""

    count: int = 0


class UpstreamTransport:
    """Sends requests upstream over one shared session (created on first use in the loop)."""

    def __init__(self, settings: GatewaySettings, metrics: PoolMetrics | None = None) -> None:
        self._settings = settings
        self._limits = settings.upstream
        self._slots = HostSlots(
            self._limits.max_connections_per_host,
            self.pool_wait_seconds,
            metrics or PoolMetrics(CollectorRegistry(auto_describe=True)),
        )
        self._session: aiohttp.ClientSession | None = None
        self._connector: aiohttp.TCPConnector | None = None
        self._sockets = SocketCounter()

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self._settings.tls_ca_path)
        return context

    @property
    def pool_wait_seconds(self) -> float:
        """The longest wait for a free connection slot."""
        return self._limits.pool_wait_seconds or self._settings.route_timeout

    def session(self) -> aiohttp.ClientSession:
        """The shared session (created lazily inside the running loop)."""
        if self._session is None:
            limits = self._limits
            connect = self._settings.connect_timeout
            self._connector = aiohttp.TCPConnector(
                limit=0,
                limit_per_host=0,
                keepalive_timeout=limits.keepalive_seconds,
                ssl=self._ssl_context(),
                ttl_dns_cache=300,
                socket_factory=self._sockets.factory,
            )
            self._session = aiohttp.ClientSession(
                connector=self._connector,
                timeout=aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=connect),
                auto_decompress=True,
                headers={"Accept-Encoding": ACCEPTED_ENCODINGS},
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Content-Type"),
                response_class=SlottedResponse,
            )
        return self._session

    def open_connections(self) -> int:
        """Upstream connections currently open (idle in the pool or in use)."""
        return self._sockets.open

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
                response = await self._post(session, url, headers, body)
            except _CONNECT_ERRORS as exc:
                if final or not _sleep_fits(self._backoff(attempts.count), deadline):
                    raise _unreachable(exc, url) from exc
                await asyncio.sleep(self._backoff(attempts.count))
                continue
            except aiohttp.ClientError as exc:
                # The client learns what failed; the upstream's address and bytes go to the log.
                logger.warning("upstream %s sent an invalid response: %s", url.origin(), exc)
                raise BadGateway("upstream sent an invalid response") from exc
            if final or response.status not in RETRYABLE_STATUSES:
                return response
            delay = retry_after_seconds(response.headers.get("retry-after"))
            if delay is None:
                delay = self._backoff(attempts.count)
            if not _sleep_fits(delay, deadline):
                return response
            response.release()
            await asyncio.sleep(delay)

    async def _post(
        self, session: aiohttp.ClientSession, url: URL, headers: Mapping[str, str], body: bytes
    ) -> aiohttp.ClientResponse:
        """One attempt, holding a slot of the upstream host until the response is released."""
        release = await self._slots.acquire(url.raw_host or "", url.port or 0)
        try:
            response = await session.post(url, data=body, headers=headers, allow_redirects=False)
        except BaseException:
            release()
            raise
        if isinstance(response, SlottedResponse):
            response.slot_release = release
        else:
            release()
        return response

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base·2^(n-1), capped, scaled by [0.5, 1]."""
        settings = self._settings
        growth: float = 2.0 ** (attempt - 1)
        ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * growth)
        return ceiling * (0.5 + random.random() / 2)


def _sleep_fits(delay: float, deadline: float) -> bool:
    return time.monotonic() + delay < deadline


def _unreachable(exc: BaseException, url: URL) -> BadGateway | GatewayTimeout:
    """The client's error says what failed; the upstream's address is logged only (an
    internal address is no business of the client)."""
    address = f"{url.scheme}://{url.host}:{url.port}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        logger.warning("upstream connect timeout to %s", address)
        return GatewayTimeout("upstream connect timeout")
    reason = _connect_failure(exc)
    logger.warning("upstream connection to %s failed: %s", address, reason)
    return BadGateway(f"upstream connection failed ({reason})")


def _connect_failure(exc: BaseException) -> str:
    """The OS's reason (aiohttp's own text names the address and says `ssl:default` even for
    a plain-HTTP upstream)."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError | ConnectionResetError):
        return "connection closed by the upstream"
    error = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(error, socket.gaierror):
        return "name resolution failed"
    if isinstance(error, OSError) and error.errno and error.errno > 0:
        return os.strerror(error.errno)
    return type(error).__name__


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


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole (decompressed) upstream body; 502 when it exceeds `limit` bytes, is cut short
    or cannot be decompressed. Reading stops at the limit, so memory stays bounded."""
    declared = response.content_length
    if declared is not None and declared > limit and not response.headers.get("content-encoding"):
        raise _body_too_large(response, limit)
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise _body_too_large(response, limit)
            parts.append(chunk)
    except aiohttp.ClientError as exc:
        logger.warning("upstream response body failed: %s", exc or type(exc).__name__)
        raise BadGateway(f"upstream response body failed after status {response.status}") from None
    return b"".join(parts)


def _body_too_large(response: aiohttp.ClientResponse, limit: int) -> BadGateway:
    return BadGateway(
        f"upstream response body (status {response.status}) exceeds the limit of {limit} bytes"
    )
