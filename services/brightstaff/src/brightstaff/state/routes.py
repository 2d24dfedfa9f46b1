"""`GET /v1/responses/{id}`, `GET /v1/responses/{id}/input_items`, `DELETE /v1/responses/{id}`.

OpenAI's own endpoints for stored responses, served from the conversation-state store so the
SDK's `client.responses.retrieve`, `.input_items.list` and `.delete` work for any provider.
A response's input items are its whole history before its output (earlier turns included),
listed in OpenAI's cursor-page shape (`limit` 1 to 100, default 20; `order` desc by default;
`after` and `before` take item ids).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from brightstaff.seams import StepError
from brightstaff.state.errors import invalid_request, not_found
from brightstaff.state.items import item_id, split_output
from brightstaff.state.service import ResponsesState
from brightstaff.state.store import MAX_ID_LENGTH, ConversationRecord

__all__ = ["input_items_page", "response_object", "state_routes"]

JsonObject = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
JSON_TYPE = "application/json"
_DEFAULT_LIMIT = 20
_MAX_LIMIT = 100


def state_routes(state: ResponsesState) -> list[Route]:
    """The three routes, bound to one state step."""

    async def retrieve(request: Request) -> Response:
        record = await _record(state, request)
        return _json(response_object(record))

    async def input_items(request: Request) -> Response:
        record = await _record(state, request)
        return _json(input_items_page(record, dict(request.query_params)))

    async def delete(request: Request) -> Response:
        response_id = _path_id(request)
        if not await state.delete(response_id):
            raise not_found(response_id)
        return _json({"id": response_id, "object": "response", "deleted": True})

    return [
        Route("/v1/responses/{response_id}", _answering(retrieve), methods=["GET"]),
        Route("/v1/responses/{response_id}", _answering(delete), methods=["DELETE"]),
        Route("/v1/responses/{response_id}/input_items", _answering(input_items), methods=["GET"]),
    ]


def response_object(record: ConversationRecord) -> JsonObject:
    """A stored response as OpenAI's `response` object (output items with ids)."""
    inputs, outputs = split_output(record.input_items, record.response_id)
    output = [_output_item(item, len(inputs) + offset) for offset, item in enumerate(outputs)]
    return {
        "id": record.response_id,
        "object": "response",
        "created_at": record.created_at,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "model": record.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "store": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "usage": None,
    }


def _output_item(item: JsonObject, position: int) -> JsonObject:
    rendered: JsonObject = {"id": item_id(item, position), **item}
    if item.get("type") == "message":
        rendered["status"] = "completed"
        rendered["content"] = [
            {**part, "annotations": []} if part.get("type") == "output_text" else part
            for part in item.get("content") or ()
        ]
    elif item.get("type") in ("function_call", "custom_tool_call"):
        rendered["status"] = "completed"
    return rendered


def input_items_page(record: ConversationRecord, query: dict[str, str]) -> JsonObject:
    """One page of a response's input items (OpenAI's `list` object)."""
    limit = _limit(query.get("limit"))
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_request("`order` must be asc or desc", "order")
    inputs, _ = split_output(record.input_items, record.response_id)
    items = [{"id": item_id(item, position), **item} for position, item in enumerate(inputs)]
    if order == "desc":
        items.reverse()
    start, end = 0, len(items)
    ids = [item["id"] for item in items]
    if "after" in query:
        start = ids.index(query["after"]) + 1 if query["after"] in ids else len(ids)
    if "before" in query:
        end = ids.index(query["before"]) if query["before"] in ids else 0
    page = items[start:end][:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": start + len(page) < end,
    }


def _limit(value: str | None) -> int:
    if value is None:
        return _DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= _MAX_LIMIT:
        raise invalid_request(f"`limit` must be an integer from 1 to {_MAX_LIMIT}", "limit")
    return int(value)


def _answering(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except StepError as exc:
            return Response(exc.body, status_code=exc.status, media_type=JSON_TYPE)

    return endpoint


def _path_id(request: Request) -> str:
    response_id = str(request.path_params["response_id"])
    if len(response_id) > MAX_ID_LENGTH:
        raise not_found(response_id[:MAX_ID_LENGTH] + "...")
    return response_id


async def _record(state: ResponsesState, request: Request) -> ConversationRecord:
    response_id = _path_id(request)
    record = await state.lookup(response_id)
    if record is None:
        raise not_found(response_id)
    return record


def _json(value: JsonObject) -> Response:
    return Response(msgspec.json.encode(value), media_type=JSON_TYPE)
