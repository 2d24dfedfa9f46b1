"""Fixtures of the conversation-state tests: a private PostgreSQL schema and a TCP proxy that
a test stops and starts to make the database unreachable (never the database itself)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import openai
import psycopg
import pytest
from psycopg import sql

from plano_testkit import FakeUpstream, RunningService, run_service
from plano_testkit.services import free_port


def with_search_path(url: str, schema: str, *, port: int | None = None) -> str:
    """`url` with its search_path set to `schema` (and its port replaced when given)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"-csearch_path={schema}"
    netloc = parts.netloc
    if port is not None:
        netloc = (
            f"{netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}" if "@" in netloc else f"127.0.0.1:{port}"
        )
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


@pytest.fixture
def pg_schema(database_url: str) -> Iterator[tuple[str, str]]:
    """(schema, URL whose search_path is that fresh, empty schema); dropped afterwards."""
    with private_schema(database_url) as schema:
        yield schema


class TcpProxy:
    """Forwards 127.0.0.1:`port` to a target; `stop()` refuses and cuts every connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = threading.Event()
        self._flowing.set()

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    def start(self) -> None:
        """Accept connections again."""
        self._call(self._start())

    def stop(self) -> None:
        """Stop listening and close every open connection."""
        self._call(self._stop())

    def pause(self) -> None:
        """Keep connections open but hold every byte (a database that stopped answering)."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward the held bytes and carry on."""
        self._flowing.set()

    def close(self) -> None:
        """Stop and end the proxy's thread."""
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(
                _pipe(reader, up_writer, self._flowing), _pipe(up_reader, writer, self._flowing)
            )
        self._writers.difference_update((writer, up_writer))


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: threading.Event
) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await reader.read(65536):
            while not flowing.is_set():  # noqa: ASYNC110 (set from the test's thread)
                await asyncio.sleep(0.01)
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@pytest.fixture
def pg_proxy(database_url: str) -> Iterator[TcpProxy]:
    """A running proxy in front of the test PostgreSQL."""
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def proxied_schema_url(pg_schema: tuple[str, str], pg_proxy: TcpProxy, database_url: str) -> str:
    """The private schema's URL through the proxy."""
    return with_search_path(database_url, pg_schema[0], port=pg_proxy.port)


@contextlib.contextmanager
def private_schema(database_url: str) -> Iterator[tuple[str, str]]:
    """A fresh schema and the URL using it; dropped on exit."""
    schema = f"state_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema, with_search_path(database_url, schema)
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )


@pytest.fixture(scope="session")
def schema_factory(
    database_url: str,
) -> Callable[[], contextlib.AbstractContextManager[tuple[str, str]]]:
    """`private_schema` of the test database, for module-scoped fixtures."""
    return lambda: private_schema(database_url)


MEMORY_STORAGE = "state_storage:\n  type: memory\n"


def postgres_storage(url: str, timeout: str = "2s") -> str:
    """The `state_storage` section of a PostgreSQL store."""
    return f"state_storage:\n  type: postgres\n  connection_string: '{url}'\n  timeout: {timeout}\n"


def state_config(fake_url: str, model_port: int, gateway_port: int, storage: str) -> str:
    """Providers at the fake (Anthropic, Bedrock, chat-completions, OpenAI), one model listener."""
    return f"""version: v0.3.0
listeners:
  - type: model
    name: model_listener
    address: 127.0.0.1
    port: {model_port}
    timeout: 30s
endpoints:
  llm_gateway:
    endpoint: 127.0.0.1:{gateway_port}
model_providers:
  - model: openai/gpt-4o-mini
    access_key: sk-openai
    base_url: {fake_url}
    default: true
  - model: anthropic/claude-sonnet-4-5
    access_key: sk-ant
    base_url: {fake_url}
  - model: groq/llama-3.1-8b-instant
    access_key: sk-groq
    base_url: {fake_url}
  - model: amazon_bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0
    base_url: {fake_url}
    aws:
      access_key_id: AKIDEXAMPLE
      secret_access_key: secret
      region: us-east-1
{storage}"""


@dataclass
class StateDeployment:
    """A fake upstream, one llm_gateway and brightstaff replicas sharing (or not) a store."""

    fake: FakeUpstream
    gateway: RunningService
    replicas: list[RunningService]
    model_urls: list[str]
    metrics_urls: list[str]
    uses_postgres: bool

    def sdk(self, turn: int = 0) -> openai.OpenAI:
        """An OpenAI SDK client of replica `turn % replicas` (no retries)."""
        url = self.model_urls[turn % len(self.model_urls)]
        return openai.OpenAI(base_url=f"{url}/v1", api_key="sk-client", max_retries=0)

    def async_sdk(self, turn: int = 0) -> openai.AsyncOpenAI:
        """The async SDK client of replica `turn % replicas`."""
        url = self.model_urls[turn % len(self.model_urls)]
        return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="sk-client", max_retries=0)


@contextlib.contextmanager
def deploy(fake: FakeUpstream, storages: Sequence[str]) -> Iterator[StateDeployment]:
    """Start llm_gateway and one brightstaff replica per `state_storage` section."""
    gateway_port = free_port()
    ports = [free_port() for _ in storages]
    configs = [
        state_config(fake.url, port, gateway_port, storage)
        for port, storage in zip(ports, storages, strict=True)
    ]
    metrics_ports = [free_port() for _ in storages]
    quiet: dict[str, str | None] = {"PLANO_ACCESS_LOG": None, "PLANO_METRICS_PORT": None}
    with contextlib.ExitStack() as stack:
        gateway = stack.enter_context(
            run_service("llm_gateway", configs[0], port=gateway_port, env=quiet)
        )
        replicas = [
            stack.enter_context(
                run_service("brightstaff", config, env={**quiet, "PLANO_METRICS_PORT": str(port)})
            )
            for config, port in zip(configs, metrics_ports, strict=True)
        ]
        yield StateDeployment(
            fake,
            gateway,
            replicas,
            [f"http://127.0.0.1:{port}" for port in ports],
            [f"http://127.0.0.1:{port}" for port in metrics_ports],
            any("type: postgres" in storage for storage in storages),
        )


@pytest.fixture(scope="session")
def state_deployer() -> Callable[..., contextlib.AbstractContextManager[StateDeployment]]:
    """`deploy`, for test modules (they cannot import this file)."""
    return deploy


@pytest.fixture(scope="session")
def storage_sections() -> tuple[str, Callable[..., str]]:
    """(the memory section, the PostgreSQL section builder)."""
    return MEMORY_STORAGE, postgres_storage
