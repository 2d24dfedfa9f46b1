"""The HTTP server of every service: several listeners, one process, one event loop.

Hypercorn parses HTTP (h11/h2); this module owns the rest of a worker's life:

- sockets are bound before anything is served (``bind_listeners``), so a port in use, a port
  out of range or an unknown host is a one-line ``BindError``;
- each connection closes as soon as the client has closed its side, instead of waiting for the
  keep-alive timer (``_Connection``); an idle connection closes after the keep-alive time, and a
  request head must be complete within the header timeout (counted from the connection's start,
  or from the first byte of a later request on a kept-alive connection);
- every app sits behind ``BodyGuard`` (body deadline, per-request cap, shared budget) and a gate
  that refuses requests once shutdown has begun and gives each request the ``Drain`` and its
  ``ClientConnection`` (``plano_common.disconnect``: callbacks when the client goes away);
- the bytes of a response written in one loop turn go out in one write (head and body of a
  small response together);
- SIGTERM/SIGINT drain: listeners close, idle connections close, in-flight requests get the
  drain time, then the ``Drain`` is cut (handlers end their responses cleanly), and what still
  runs a few seconds later is canceled. A second signal cuts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from hypercorn.asyncio.lifespan import Lifespan
from hypercorn.asyncio.tcp_server import MAX_RECV, TCPServer
from hypercorn.asyncio.worker_context import AsyncioSingleTask, WorkerContext
from hypercorn.config import Config as HypercornConfig
from hypercorn.events import Closed, RawData, Updated
from hypercorn.typing import TaskGroup
from hypercorn.utils import LifespanFailureError, LifespanTimeoutError, wrap_app
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plano_common.body_guard import BodyBudget, BodyGuard, BodyLimits, error_response
from plano_common.disconnect import CLIENT_CONNECTION_EXTENSION, ClientConnection
from plano_common.drain import DRAIN_EXTENSION, Drain
from plano_common.server_settings import ServerSettings

__all__ = [
    "BindError",
    "BoundListener",
    "Listener",
    "StartupError",
    "bind_listeners",
    "hypercorn_config",
    "serve_listeners",
]

logger = logging.getLogger("plano.server")

CUT_GRACE_SECONDS = 5.0
"""After the cut, how long handlers get to write their last bytes before being canceled."""

TIMER_SLACK_SECONDS = 0.001
"""How early an idle deadline may be taken as reached (loop timers have millisecond steps)."""

WRITE_BATCH_BYTES = 64 * 1024
"""Queued response bytes that a connection writes at once instead of at the end of the turn."""


@dataclass(frozen=True, slots=True)
class Listener:
    """One address a service serves, with the ASGI app behind it."""

    name: str
    host: str
    port: int
    app: ASGIApp
    per_request_body_bytes: int | None = None
    """Largest request body for this listener; None: the whole body budget."""


@dataclass(frozen=True, slots=True)
class BoundListener:
    """A listener with its socket bound (not yet accepting)."""

    listener: Listener
    sock: socket.socket

    @property
    def url(self) -> str:
        """`http://host:port` of the bound socket."""
        address = self.sock.getsockname()
        host = f"[{address[0]}]" if self.sock.family == socket.AF_INET6 else address[0]
        return f"http://{host}:{address[1]}"


class BindError(Exception):
    """A listener's address cannot be bound; the message is one line naming it."""


class StartupError(Exception):
    """An app's lifespan startup failed; the message is its last line."""


def bind_listeners(listeners: Sequence[Listener]) -> list[BoundListener]:
    """Bind every listener's socket, or close those bound and raise `BindError`."""
    bound: list[BoundListener] = []
    try:
        for listener in listeners:
            bound.append(BoundListener(listener, _bind(listener)))  # noqa: PERF401 (close on error)
    except BindError:
        for each in bound:
            each.sock.close()
        raise
    return bound


def _bind(listener: Listener) -> socket.socket:
    host = listener.host.removeprefix("[").removesuffix("]")
    where = f"{listener.name} listener {listener.host}:{listener.port}"
    if not 1 <= listener.port <= 65535:
        raise BindError(f"cannot listen on {where}: port must be 1-65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, listener.port))
        sock.setblocking(False)
    except (OSError, OverflowError, UnicodeError) as exc:
        sock.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BindError(f"cannot listen on {where}: {reason.lower()}") from None
    return sock


class _Config(HypercornConfig):
    """Hypercorn's settings; the headers it adds to every response (date, server) are built
    once per second and protocol instead of once per response."""

    def __init__(self) -> None:
        super().__init__()
        self._response_headers: dict[str, tuple[int, list[tuple[bytes, bytes]]]] = {}

    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        second = int(time.time())
        cached = self._response_headers.get(protocol)
        if cached is None or cached[0] != second:
            cached = self._response_headers[protocol] = (second, super().response_headers(protocol))
        return list(cached[1])


def hypercorn_config(settings: ServerSettings) -> HypercornConfig:
    """Hypercorn settings: no Hypercorn access log (services log their own), our keep-alive."""
    config = _Config()
    config.accesslog = None
    config.errorlog = "-"
    config.loglevel = "WARNING"
    config.keep_alive_timeout = settings.keep_alive_seconds
    return config


class _IdleTimer(AsyncioSingleTask):
    """Hypercorn's idle task as a deadline watched by one loop timer.

    Arming sets the deadline; the loop timer moves only when the deadline comes earlier than
    the time it waits for (a later deadline is picked up when it fires), so a request on a
    kept-alive connection costs no task and usually no new timer. At the deadline (at once
    when the worker is terminating) the action runs in the connection's task group. `expire`
    runs an armed action now (the drain closes idle connections this way); `cancel` disarms
    and drops the loop timer."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, delay: Callable[[], float], context: WorkerContext
    ) -> None:
        super().__init__()
        self._loop = loop
        self._delay = delay
        self._context = context
        self._deadline = 0.0
        self._armed: tuple[TaskGroup, Callable[[], Awaitable[None]]] | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def restart(self, task_group: TaskGroup, action: Callable[[], Awaitable[None]]) -> None:
        delay = 0.0 if self._context.terminated.is_set() else self._delay()
        self._deadline = self._loop.time() + delay
        self._armed = (task_group, action)
        if self._timer is None or self._timer.when() > self._deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(self._deadline, self._check)

    async def stop(self) -> None:
        self._armed = None

    def expire(self) -> None:
        """Run the armed action now (nothing when the timer is not armed)."""
        armed, self._armed = self._armed, None
        if armed is not None:
            task_group, action = armed
            task_group.spawn(action)

    def cancel(self) -> None:
        """Disarm and drop the loop timer."""
        self._armed = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        self._timer = None
        if self._armed is None:
            return
        if self._loop.time() + TIMER_SLACK_SECONDS < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._check)
            return
        self.expire()


class _Connection(TCPServer):
    """Hypercorn's connection handler, with changes we own.

    - Close when the client has closed: Hypercorn keeps the connection (and its fd) until the
      keep-alive timer fires even after the client's FIN; here the timer stops at EOF and a
      connection that becomes idle after EOF closes at once.
    - Header timeout: the timer that closes idle connections uses the (shorter) header timeout
      from the connection's start and from the first byte of each later request head.
    - The idle timer is a loop timer (`_IdleTimer`), not a task restarted for every request.
    - Writes are joined: the bytes Hypercorn produces for one response body message (with the
      response head before the first one, the end of a chunked body with the last) go out in
      one write as soon as the app's `send` returns (`flush`, called by the gate), at the end
      of the loop turn for bytes Hypercorn sends on its own, or at once when
      `WRITE_BATCH_BYTES` are waiting.
    - The end of the connection (client closed or reset it, a write failed, the server closed
      it) closes its `ClientConnection`, which tells the request in flight.
    """

    def __init__(self, header_timeout: float, client: ClientConnection, *args: Any) -> None:
        super().__init__(*args)
        self._header_timeout = header_timeout
        self._client = client
        self._idle = True
        self._head_started = True
        self._peer_closed = False
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._flush_handle: asyncio.Handle | None = None
        self._idle_timer = _IdleTimer(self.loop, self._idle_seconds, self.context)
        self.idle_task = self._idle_timer

    async def protocol_send(self, event: Any) -> None:
        if isinstance(event, RawData):
            await self._write(event.data)
            return
        if isinstance(event, Updated):
            self._idle = event.idle
            self._head_started = False
            if event.idle and self._peer_closed:
                await self._close()
                return
        await super().protocol_send(event)

    async def _write(self, data: bytes) -> None:
        """Queue bytes for the turn's write; wait while the socket's send buffer is full."""
        if not data:
            return
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= WRITE_BATCH_BYTES:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self.loop.call_soon(self.flush)
        try:
            await self.writer.drain()
        except (ConnectionError, RuntimeError):
            await self.protocol.handle(Closed())
            self._client.close()

    def flush(self) -> None:
        """Write the queued bytes now, in one call."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        # A write fails only once the transport is closed; the read side then ends the stream.
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.writer.write(data)

    async def _close(self) -> None:
        self.flush()
        self._client.close()
        try:
            await super()._close()
        finally:
            self._idle_timer.cancel()

    async def _initiate_server_close(self) -> None:
        self.flush()
        await super()._initiate_server_close()
        self._client.close()

    def close_if_idle(self) -> None:
        """Close now when waiting for a request (the worker is terminating)."""
        self._idle_timer.expire()

    async def _read_data(self) -> None:
        while not self.reader.at_eof():
            try:
                data = await self.reader.read(MAX_RECV)
            except (ConnectionError, OSError):
                break
            if data and self._idle and not self._head_started:
                self._head_started = True
                await self.idle_task.restart(self._task_group, self._idle_timeout)
            await self.protocol.handle(RawData(data))
        await self.protocol.handle(Closed())
        self._client.close()
        self._peer_closed = True
        await self.idle_task.stop()

    def _idle_seconds(self) -> float:
        timeout: float = (
            self._header_timeout if self._head_started else self.config.keep_alive_timeout
        )
        return timeout

    async def _idle_timeout(self) -> None:
        await self._initiate_server_close()


def _wrap(app: ASGIApp) -> Any:
    """Hypercorn's ASGI adapter (its app types are stricter than Starlette's aliases)."""
    return wrap_app(cast(Any, app), 0, "asgi")


def _gate(
    app: ASGIApp, drain: Drain, client: ClientConnection, flush: Callable[[], None]
) -> ASGIApp:
    """Put the drain and the client connection in each request's scope; refuse new requests
    once draining (503); write each response body message out as soon as the app has sent it
    (`flush`), so a reply never waits for the work its handler does after sending it."""

    async def gate(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            extensions = scope.setdefault("extensions", {})
            extensions[DRAIN_EXTENSION] = drain
            extensions[CLIENT_CONNECTION_EXTENSION] = client
            if drain.draining and scope["type"] == "http":
                await error_response(send, scope, 503, "the server is shutting down")
                return

        async def send_now(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body":
                flush()

        await app(scope, receive, send_now)

    return gate


def _front(listener: Listener, settings: ServerSettings, budget: BodyBudget) -> ASGIApp:
    cap = listener.per_request_body_bytes or budget.total
    return BodyGuard(listener.app, BodyLimits(cap, settings.body_timeout_seconds, budget))


@dataclass(slots=True)
class _Running:
    """What the serving loop tracks: one lifespan per app, the servers and open connections."""

    settings: ServerSettings
    config: HypercornConfig
    drain: Drain
    context: WorkerContext
    lifespans: list[tuple[Lifespan, asyncio.Task[None]]] = field(default_factory=list)
    connections: set[asyncio.Task[Any]] = field(default_factory=set)
    handlers: set[_Connection] = field(default_factory=set)
    servers: list[asyncio.Server] = field(default_factory=list)


async def serve_listeners(
    bound: Sequence[BoundListener],
    settings: ServerSettings,
    *,
    service: str,
    drain: Drain | None = None,
) -> None:
    """Serve every bound listener until SIGTERM/SIGINT, then drain and stop."""
    running = _Running(settings, hypercorn_config(settings), drain or Drain(), WorkerContext(None))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _install_signal_handlers(loop, stop, running.drain)
    try:
        budget = BodyBudget(settings.body_budget_bytes)
        states: dict[int, dict[str, Any]] = {}
        for each in bound:
            state = await _lifespan_state(each.listener.app, states, running)
            front = _front(each.listener, settings, budget)
            running.servers.append(await _start_server(each, front, state, running))
            logger.info("%s listening on %s (%s)", service, each.url, each.listener.name)
        await stop.wait()
        await _drain(service, running)
    finally:
        for server in running.servers:
            server.close()
        await _stop_lifespans(running)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def _install_signal_handlers(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event, drain: Drain
) -> None:
    def on_signal() -> None:
        if stop.is_set():
            logger.warning("second stop signal: cutting in-flight requests now")
            drain.cut()
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)


async def _lifespan_state(
    app: ASGIApp, states: dict[int, dict[str, Any]], running: _Running
) -> dict[str, Any]:
    """Run the app's lifespan startup once (an app may serve several listeners)."""
    state = states.get(id(app))
    if state is not None:
        return state
    state = states[id(app)] = {}
    loop = asyncio.get_running_loop()
    lifespan = Lifespan(_wrap(app), running.config, loop, state)
    task = loop.create_task(lifespan.handle_lifespan())
    running.lifespans.append((lifespan, task))
    try:
        await lifespan.wait_for_startup()
        await asyncio.sleep(0)  # let a failed startup finish its task
    except (LifespanFailureError, LifespanTimeoutError) as exc:
        raise StartupError(_last_line(str(exc))) from None
    if task.done() and not task.cancelled() and (error := task.exception()) is not None:
        raise StartupError(_last_line(str(error) or type(error).__name__)) from None
    return state


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().strip("'").splitlines() if line.strip()]
    return lines[-1][:500] if lines else "unknown error"


async def _start_server(
    each: BoundListener, app: ASGIApp, state: dict[str, Any], running: _Running
) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    header_timeout = running.settings.header_timeout_seconds

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            running.connections.add(task)
            task.add_done_callback(running.connections.discard)
        client = ClientConnection()
        handler: _Connection | None = None

        def flush() -> None:
            if handler is not None:
                handler.flush()

        wrapped = _wrap(_gate(app, running.drain, client, flush))
        args = (wrapped, loop, running.config, running.context, state, reader, writer)
        handler = _Connection(header_timeout, client, *args)
        running.handlers.add(handler)
        try:
            await handler.run()
        finally:
            running.handlers.discard(handler)

    return await asyncio.start_server(on_connection, sock=each.sock, backlog=running.config.backlog)


async def _drain(service: str, running: _Running) -> None:
    """Stop accepting, let in-flight requests finish, cut them at the deadline, then cancel."""
    drain, seconds = running.drain, running.settings.drain_seconds
    drain.begin()
    await running.context.terminated.set()
    for handler in list(running.handlers):
        handler.close_if_idle()
    for server in running.servers:
        server.close()
    logger.info(
        "%s stopping: %d connection(s) open, draining for up to %gs",
        service,
        len(running.connections),
        seconds,
    )
    if await _wait_connections(running, seconds, until_cut=drain):
        return
    cut = drain.cut()
    logger.warning("%s drain deadline passed: cutting %d in-flight request(s)", service, cut)
    if await _wait_connections(running, CUT_GRACE_SECONDS):
        return
    for task in list(running.connections):
        task.cancel()
    await asyncio.gather(*running.connections, return_exceptions=True)


async def _wait_connections(
    running: _Running, seconds: float, until_cut: Drain | None = None
) -> bool:
    """Wait until no connection is open (True), the time is up or the drain is cut (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while running.connections:
        if until_cut is not None and until_cut.cutting:
            return False
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await asyncio.wait(set(running.connections), timeout=min(remaining, 0.1))
    return True


async def _stop_lifespans(running: _Running) -> None:
    for lifespan, task in running.lifespans:
        if task.done():
            continue
        try:
            await lifespan.wait_for_shutdown()
        except Exception:
            logger.exception("lifespan shutdown failed")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
