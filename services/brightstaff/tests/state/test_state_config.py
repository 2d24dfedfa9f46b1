"""`state_storage` settings, the state plugin, start-up table creation and retention."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import openai
import psycopg
import pytest

from brightstaff.state import MemoryStore, PostgresStore, ResponsesState, build_state
from brightstaff.state.retention import DAY_SECONDS, purge_once
from brightstaff.state.store import ConversationRecord
from plano_common.config import ConfigError, load_config
from plano_testkit import FakeUpstream

HEAD = (
    "version: v0.4.0\nlisteners: [{type: model, name: m}]\n"
    "model_providers:\n  - {model: anthropic/claude-x, access_key: k}\n"
)


def load(tmp_path: Path, storage: str) -> Any:
    path = tmp_path / "plano.yaml"
    path.write_text(HEAD + storage, encoding="utf-8")
    return load_config(path)


def test_memory_settings(tmp_path: Path) -> None:
    config = load(tmp_path, "state_storage: {type: memory, max_entries: 5, ttl_seconds: 9}\n")
    state = build_state(config)
    assert state is not None and isinstance(state.store, MemoryStore)
    assert (state.store.max_entries, state.store.ttl_seconds) == (5, 9)
    defaults = load(tmp_path, "state_storage: {type: memory}\n").state_storage
    assert (defaults.max_entries, defaults.ttl_seconds) == (10000, 86400)


def test_postgres_settings(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "state_storage:\n  type: postgres\n  connection_string: postgresql://u@h/db\n"
        "  timeout: 500ms\n  retention_days: 30\n  synchronous_commit: true\n",
    )
    settings = config.state_storage
    assert settings.timeout_seconds == 0.5
    assert settings.retention_days == 30 and settings.synchronous_commit is True
    assert "postgresql://u@h/db" not in repr(settings)
    assert settings.cache_mb == 32
    state = build_state(config)
    assert state is not None and isinstance(state.store, PostgresStore)
    assert state.store.timeout_seconds == 0.5
    off = load(tmp_path, "state_storage: {type: postgres, connection_string: x=y, cache_mb: 0}\n")
    assert off.state_storage.cache_mb == 0


def test_no_state_storage_no_state(tmp_path: Path) -> None:
    assert build_state(load(tmp_path, "")) is None


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        (
            "state_storage: {type: memory, retention_days: 3}\n",
            "state_storage.retention_days: applies to type postgres only",
        ),
        (
            "state_storage: {type: memory, timeout: 1s}\n",
            "state_storage.timeout: applies to type postgres only",
        ),
        (
            "state_storage: {type: postgres, connection_string: 'postgresql://h/d', "
            "max_entries: 3}\n",
            "state_storage.max_entries: applies to type memory only",
        ),
        ("state_storage: {type: memory, max_entries: 0}\n", "state_storage.max_entries"),
        (
            "state_storage: {type: memory, cache_mb: 8}\n",
            "state_storage.cache_mb: applies to type postgres only",
        ),
        (
            "state_storage: {type: postgres, connection_string: x=y, cache_mb: -1}\n",
            "state_storage.cache_mb",
        ),
    ],
)
def test_misplaced_or_invalid_knobs(tmp_path: Path, storage: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, storage)


def test_an_unparsable_connection_string_is_a_setting_error() -> None:
    with pytest.raises(ValueError, match="connection_string is invalid"):
        PostgresStore("postgresql://h/db?nonsense=1", timeout_seconds=1)


async def test_retention_deletes_old_conversations() -> None:
    store = MemoryStore(max_entries=10, ttl_seconds=3600)
    now = int(time.time())
    await store.put(ConversationRecord("old", [], now - 40 * DAY_SECONDS, "m", "p"))
    await store.put(ConversationRecord("new", [], now - 10 * DAY_SECONDS, "m", "p"))
    assert await purge_once(store, 30) == 1
    assert await store.get("old") is None and await store.get("new") is not None


async def test_retention_runs_from_start(pg_schema: tuple[str, str]) -> None:
    _, url = pg_schema
    seed = PostgresStore(url, timeout_seconds=5)
    await seed.put(ConversationRecord("old", [], int(time.time()) - 40 * DAY_SECONDS, "m", "p"))
    await seed.close()
    state = ResponsesState(PostgresStore(url, timeout_seconds=5), {}, retention_days=30)
    await state.start()
    try:
        deadline = time.monotonic() + 10
        while await state.store.get("old") is not None:
            assert time.monotonic() < deadline, "retention did not run"
            await asyncio.sleep(0.05)
    finally:
        await state.close()


def test_the_table_is_created_at_start_up(
    pg_schema: tuple[str, str], state_deployer: Any, storage_sections: Any
) -> None:
    schema, url = pg_schema
    _, postgres = storage_sections
    with FakeUpstream() as fake, state_deployer(fake, [postgres(url)]):
        deadline = time.monotonic() + 10
        while True:
            with psycopg.connect(url) as connection:
                row = connection.execute("SELECT to_regclass('conversation_states')").fetchone()
            if row and row[0]:
                break
            assert time.monotonic() < deadline, f"no table in {schema} after start-up"
            time.sleep(0.1)


def test_without_state_storage_the_egress_refuses_previous_response_id(
    state_deployer: Any,
) -> None:
    with FakeUpstream() as fake, state_deployer(fake, [""]) as running, running.sdk() as sdk:
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.responses.create(
                model="claude-sonnet-4-5", input="and then?", previous_response_id="resp_1"
            )
        with pytest.raises(openai.NotFoundError):
            sdk.responses.retrieve("resp_1")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "previous_response_not_supported"
    assert fake.requests == []
