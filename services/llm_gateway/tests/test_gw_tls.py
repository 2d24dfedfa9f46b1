"""Upstream TLS: the configured CA bundle is trusted; an unknown certificate is a 502."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from plano_testkit.fake_upstream import FakeUpstream

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsFront:
    """A TLS listener that forwards raw bytes to a plain-HTTP backend."""

    def __init__(self, backend_port: int, cert: Path, key: Path) -> None:
        self.backend_port = backend_port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(
                asyncio.start_server(self._client, "127.0.0.1", 0, ssl=self.context)
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()
            server.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(5)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        backend_reader, backend_writer = await asyncio.open_connection(
            "127.0.0.1", self.backend_port
        )

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            with contextlib.suppress(Exception):
                sink.close()

        await asyncio.gather(pipe(reader, backend_writer), pipe(backend_reader, writer))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def tls_front(fake_upstream: FakeUpstream, certificate: tuple[Path, Path]) -> Iterator[TlsFront]:
    front = TlsFront(fake_upstream.port, *certificate)
    yield front
    front.stop()


@pytest.fixture(scope="module")
def config(tls_front: TlsFront, gateway_config: Any) -> Callable[[Path | None], str]:
    """Config text of one provider behind the TLS front, trusting `ca_path` when given."""

    def build(ca_path: Path | None) -> str:
        overrides = f"overrides:\n  upstream_tls_ca_path: {ca_path}\n" if ca_path else ""
        return gateway_config(
            f"https://127.0.0.1:{tls_front.port}",
            {"openai/gpt-4o-mini": "sk-openai"},
            default="openai/gpt-4o-mini",
            sections=overrides,
        )

    return build


def test_gw_tls_upstream_with_the_configured_ca(
    config: Callable[[Path | None], str], certificate: tuple[Path, Path], start_gateway: Any
) -> None:
    gateway = start_gateway(config(certificate[0]))
    with gateway.openai_sdk() as sdk:
        completion = sdk.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "respond with exactly: tls ok"}],
        )
    assert completion.choices[0].message.content


def test_gw_tls_upstream_with_an_untrusted_certificate_is_502(
    config: Callable[[Path | None], str], start_gateway: Any
) -> None:
    gateway = start_gateway(config(None))
    with (
        gateway.openai_sdk() as sdk,
        pytest.raises(openai.InternalServerError, match="certificate") as info,
    ):
        sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.status_code == 502
