"""Fixtures shared by every test suite: the real PostgreSQL and Redis of the machine.

A test that needs one of them is skipped when it is unreachable, unless
`PLANO_REQUIRE_SERVICES=1` (set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        address = (parts.hostname or "127.0.0.1", parts.port or default_port)
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def _require(url: str, default_port: int, what: str) -> str:
    if _reachable(url, default_port):
        return url
    message = f"{what} not reachable at {url}"
    if os.environ.get("PLANO_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (PLANO_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def database_url() -> str:
    """URL of a real PostgreSQL database for tests (PLANO_TEST_DATABASE_URL)."""
    url = os.environ.get("PLANO_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    return _require(url, 5432, "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a real Redis server for tests (PLANO_TEST_REDIS_URL)."""
    url = os.environ.get("PLANO_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    return _require(url, 6379, "Redis")
