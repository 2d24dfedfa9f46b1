"""GET/DELETE /v1/responses/{id} with the official openai SDK, against the routes in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2 as httpx
import openai
import pytest
from starlette.applications import Starlette

from brightstaff.state.items import output_to_input
from brightstaff.state.memory import MemoryStore
from brightstaff.state.routes import state_routes
from brightstaff.state.service import ResponsesState
from brightstaff.state.store import ConversationRecord


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


OUTPUT = [
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi!"}]},
    {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
]


@pytest.fixture
async def store() -> MemoryStore:
    store = MemoryStore(max_entries=100, ttl_seconds=600)
    earlier = output_to_input([OUTPUT[0]], "resp_1")
    items = [user("one"), *earlier, user("two"), *output_to_input(OUTPUT, "resp_2")]
    await store.put(ConversationRecord("resp_2", items, 1700000000, "claude-x", "anthropic"))
    many = [user(str(n)) for n in range(45)]
    await store.put(ConversationRecord("resp_long", many, 1700000000, "m", "p"))
    return store


@pytest.fixture
async def client(store: MemoryStore) -> AsyncIterator[openai.AsyncOpenAI]:
    app = Starlette(routes=state_routes(ResponsesState(store, {})))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as http:
        yield openai.AsyncOpenAI(
            base_url="http://state.test/v1", api_key="k", http_client=http, max_retries=0
        )


async def test_retrieve(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.retrieve("resp_2")
    assert response.id == "resp_2"
    assert response.model == "claude-x"
    assert response.created_at == 1700000000
    assert response.output_text == "Hi!"
    assert [item.type for item in response.output] == ["message", "function_call"]
    call = response.output[1]
    assert call.type == "function_call" and call.call_id == "call_1" and call.id


async def test_input_items(client: openai.AsyncOpenAI) -> None:
    page = await client.responses.input_items.list("resp_2", order="asc")
    items = [item.model_dump(exclude_none=True) for item in page.data]
    assert [item["type"] for item in items] == ["message", "message", "message"]
    assert [item["role"] for item in items] == ["user", "assistant", "user"]
    assert len({item["id"] for item in items}) == 3
    newest_first = await client.responses.input_items.list("resp_2")
    assert [i.id for i in newest_first.data] == [item["id"] for item in reversed(items)]


async def test_input_items_pages(client: openai.AsyncOpenAI) -> None:
    seen = [
        item.id
        async for item in client.responses.input_items.list("resp_long", limit=10, order="asc")
    ]
    assert len(seen) == 45 and len(set(seen)) == 45
    page = await client.responses.input_items.list("resp_long", limit=10)
    assert page.has_more and len(page.data) == 10


async def test_delete(client: openai.AsyncOpenAI, store: MemoryStore) -> None:
    await client.responses.delete("resp_2")
    assert await store.get("resp_2") is None
    with pytest.raises(openai.NotFoundError) as caught:
        await client.responses.delete("resp_2")
    assert caught.value.body == {
        "message": "Response with id 'resp_2' not found.",
        "type": "not_found_error",
        "param": None,
        "code": None,
    }


async def test_unknown_ids_are_404(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve("resp_nope")
    with pytest.raises(openai.NotFoundError):
        await client.responses.input_items.list("resp_nope")
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve("r" * 1000)


async def test_bad_paging_is_400(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        await client.responses.input_items.list("resp_2", limit=1000)
