"""PostgreSQL unreachable or stalled under a running replica: 503 for requests that need the
store, everything else unaffected, recovery without a restart, and no corrupt row.

Replica A reaches the database through a TCP proxy the test stops, stalls and restarts (the
machine's PostgreSQL itself is never touched); replica B reaches it directly."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import openai
import psycopg
import pytest

from plano_testkit import FakeUpstream
from plano_testkit.echo import DEFAULT_TEXT
from plano_testkit.reply import Reply

MODEL = "claude-sonnet-4-5"


@pytest.fixture
def replicas(
    database_url: str,
    pg_schema: tuple[str, str],
    proxied_schema_url: str,
    state_deployer: Any,
    storage_sections: Any,
) -> Iterator[Any]:
    _, postgres = storage_sections
    with (
        FakeUpstream() as fake,
        state_deployer(
            fake, [postgres(proxied_schema_url, "1s"), postgres(pg_schema[1], "1s")]
        ) as running,
    ):
        yield running


def assert_unavailable(call: Any) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        call()
    assert caught.value.status_code == 503
    assert caught.value.body == {
        "message": "Conversation state storage is unavailable; retry later.",
        "type": "server_error",
        "param": None,
        "code": "state_storage_unavailable",
    }


def until_success(call: Any, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        try:
            return call()
        except openai.InternalServerError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def assert_rows_sound(url: str) -> None:
    """Every stored history is a JSON array of user/assistant messages, alternating."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT response_id, input_items::text FROM conversation_states"
        ).fetchall()
    assert rows
    for _, items_json in rows:
        items = json.loads(items_json)
        roles = [item["role"] for item in items]
        assert roles == ["user", "assistant"] * (len(roles) // 2)


def test_database_unreachable_then_back(
    replicas: Any, pg_proxy: Any, pg_schema: tuple[str, str]
) -> None:
    a, b = replicas.sdk(0), replicas.sdk(1)
    with a, b:
        first = a.responses.create(model=MODEL, input="one")
        pg_proxy.stop()
        assert_unavailable(
            lambda: a.responses.create(model=MODEL, input="two", previous_response_id=first.id)
        )
        assert_unavailable(lambda: a.responses.retrieve(first.id))
        fresh = a.responses.create(model=MODEL, input="a new conversation needs no load")
        assert fresh.output_text
        second = b.responses.create(model=MODEL, input="two", previous_response_id=first.id)
        pg_proxy.start()
        third = until_success(
            lambda: a.responses.create(model=MODEL, input="three", previous_response_id=second.id)
        )
        items = list(a.responses.input_items.list(third.id, order="asc"))
    texts = [i.content[0].text for i in items]  # type: ignore[union-attr]
    assert texts == ["one", DEFAULT_TEXT, "two", DEFAULT_TEXT, "three"]
    assert_rows_sound(pg_schema[1])


def test_database_stalled_then_back(
    replicas: Any, pg_proxy: Any, pg_schema: tuple[str, str]
) -> None:
    a, b = replicas.sdk(0), replicas.sdk(1)
    with a, b:
        replicas.fake.enqueue(Reply(text="first answer"))
        first = b.responses.create(model=MODEL, input="one")
        pg_proxy.pause()
        try:
            started = time.monotonic()
            assert_unavailable(
                lambda: a.responses.create(model=MODEL, input="two", previous_response_id=first.id)
            )
            assert time.monotonic() - started < 15
            chat = a.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "stateless"}]
            )
            assert chat.choices[0].message.content
        finally:
            pg_proxy.resume()
        second = until_success(
            lambda: a.responses.create(model=MODEL, input="two", previous_response_id=first.id)
        )
        assert second.output_text
    assert_rows_sound(pg_schema[1])
