"""200 concurrent conversations of 5 turns over two replicas sharing PostgreSQL; turns alternate
between the replicas, half the conversations stream. Every history must come back complete,
in order and unmixed, both as the upstream saw it and as the store lists it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from plano_testkit import FakeUpstream

CONVERSATIONS = 200
TURNS = 5
MODELS = [
    "claude-sonnet-4-5",
    "llama-3.1-8b-instant",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
]
PROMPT = re.compile(r"c(\d+) t(\d+): respond with exactly: a\1-\2")


@pytest.fixture
def deployment(
    pg_schema: tuple[str, str], state_deployer: Any, storage_sections: Any
) -> Iterator[Any]:
    _, postgres = storage_sections
    with (
        FakeUpstream() as fake,
        state_deployer(fake, [postgres(pg_schema[1], "10s")] * 2) as running,
    ):
        yield running


def prompt(conversation: int, turn: int) -> str:
    return f"c{conversation} t{turn}: respond with exactly: a{conversation}-{turn}"


async def one_turn(
    client: openai.AsyncOpenAI, conversation: int, turn: int, previous: str | None
) -> str:
    kwargs: dict[str, Any] = {
        "model": MODELS[conversation % len(MODELS)],
        "input": prompt(conversation, turn),
    }
    if previous is not None:
        kwargs["previous_response_id"] = previous
    if conversation % 2:
        async with client.responses.stream(**kwargs) as events:
            final = await events.get_final_response()
    else:
        final = await client.responses.create(**kwargs)
    assert final.output_text == f"a{conversation}-{turn}"
    return final.id


async def converse(clients: list[openai.AsyncOpenAI], conversation: int) -> str:
    previous: str | None = None
    for turn in range(TURNS):
        client = clients[(conversation + turn) % len(clients)]
        previous = await one_turn(client, conversation, turn, previous)
    assert previous is not None
    return previous


def expected_history(conversation: int, turns: int) -> list[tuple[str, str]]:
    history: list[tuple[str, str]] = []
    for turn in range(turns):
        history.append(("user", prompt(conversation, turn)))
        history.append(("assistant", f"a{conversation}-{turn}"))
    return history


def user_texts(body: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for message in body["messages"]:
        if message["role"] != "user":
            continue
        content = message["content"]
        if isinstance(content, str):
            texts.append(content)
        else:
            texts.extend(part["text"] for part in content if "text" in part)
    return texts


@pytest.mark.timeout(600)
async def test_concurrent_conversations_over_two_replicas(deployment: Any) -> None:
    # The SDK's default retries (as real clients use them) absorb a connection dropped by the
    # shared, busy test machine; a retried turn is one more upstream request, never a mix.
    clients = [
        sdk.with_options(max_retries=2, timeout=120.0)
        for sdk in (deployment.async_sdk(0), deployment.async_sdk(1))
    ]
    try:
        last_ids = await asyncio.gather(*(converse(clients, c) for c in range(CONVERSATIONS)))
        assert len(set(last_ids)) == CONVERSATIONS
        for conversation, response_id in enumerate(last_ids):
            reader = clients[conversation % 2]
            page = await reader.responses.input_items.list(response_id, order="asc", limit=100)
            listed = [(item.role, item.content[0].text) for item in page.data]  # type: ignore[union-attr]
            assert listed == expected_history(conversation, TURNS)[:-1]
            stored = await reader.responses.retrieve(response_id)
            assert stored.output_text == f"a{conversation}-{TURNS - 1}"
    finally:
        for client in clients:
            await client.close()
    requests = deployment.fake.requests
    assert len(requests) >= CONVERSATIONS * TURNS
    for recorded in requests:
        texts = user_texts(recorded.json)
        matches = [PROMPT.fullmatch(text) for text in texts]
        assert all(matches), texts
        conversation = {int(m.group(1)) for m in matches if m}
        assert len(conversation) == 1, texts
        (number,) = conversation
        assert texts == [prompt(number, turn) for turn in range(len(texts))]
