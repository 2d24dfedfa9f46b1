"""BodyGuard: body deadline, per-request cap and the budget shared by all requests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from plano_common.body_guard import BodyBudget, BodyGuard, BodyLimits

Message = dict[str, Any]


def _scope(path: str = "/v1/chat/completions", length: int | None = None) -> dict[str, Any]:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    return {"type": "http", "path": path, "method": "POST", "headers": headers}


class _Client:
    """Feeds body chunks to the guard and records what it sends back."""

    def __init__(self, chunks: list[bytes], *, hold: bool = False) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1 and not hold
            self.queue.put_nowait({"type": "http.request", "body": chunk, "more_body": not last})
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        return await self.queue.get()

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> Any:
        return json.loads(self.sent[1]["body"])


class _App:
    def __init__(self, budget: BodyBudget | None = None) -> None:
        self.bodies: list[bytes] = []
        self.in_use_while_running: int | None = None
        self.budget = budget

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        self.bodies.append(message["body"])
        assert message["more_body"] is False
        if self.budget is not None:
            self.in_use_while_running = self.budget.in_use
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})


def _guard(app: Any, budget: BodyBudget, max_bytes: int = 1000, timeout: float = 5.0) -> BodyGuard:
    return BodyGuard(app, BodyLimits(max_bytes, timeout, budget))


async def test_body_arrives_whole_and_its_reservation_lasts_until_the_app_returns() -> None:
    budget = BodyBudget(10_000)
    app = _App(budget)
    client = _Client([b"ab", b"cd", b"ef"])
    await _guard(app, budget)(_scope(), client.receive, client.send)
    assert app.bodies == [b"abcdef"]
    assert app.in_use_while_running == 6
    assert budget.in_use == 0
    assert client.status == 200


async def test_declared_length_over_the_cap_is_413_before_reading() -> None:
    budget = BodyBudget(10_000)
    app = _App()
    client = _Client([b"x" * 10])
    await _guard(app, budget, max_bytes=100)(_scope(length=101), client.receive, client.send)
    assert client.status == 413
    assert client.queue.qsize() == 1  # nothing read
    assert app.bodies == []
    assert (b"connection", b"close") in client.sent[0]["headers"]


async def test_sent_bytes_over_the_cap_are_413_in_the_anthropic_dialect() -> None:
    budget = BodyBudget(10_000)
    client = _Client([b"x" * 60, b"x" * 60])
    await _guard(_App(), budget, max_bytes=100)(_scope("/v1/messages"), client.receive, client.send)
    assert client.status == 413
    assert client.body["type"] == "error"
    assert client.body["error"]["type"] == "request_too_large"
    assert budget.in_use == 0


async def test_bodies_over_the_shared_budget_get_503_while_others_hold_it() -> None:
    budget = BodyBudget(1000)
    holder = _Client([b"x" * 100], hold=True)
    first = asyncio.create_task(
        _guard(_App(), budget)(_scope(length=800), holder.receive, holder.send)
    )
    await asyncio.sleep(0.01)
    assert budget.in_use == 800
    late = _Client([b"y" * 300])
    await _guard(_App(), budget)(_scope(length=300), late.receive, late.send)
    assert late.status == 503
    assert late.body["error"]["message"].startswith("too many request bodies")
    assert (b"retry-after", b"1") in late.sent[0]["headers"]
    unsized = _Client([b"z" * 150, b"z" * 150])
    await _guard(_App(), budget)(_scope(), unsized.receive, unsized.send)
    assert unsized.status == 503
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert budget.in_use == 0


async def test_a_withheld_body_end_is_408_after_the_timeout_and_frees_the_budget() -> None:
    budget = BodyBudget(10_000)
    client = _Client([b"x" * 500], hold=True)
    await _guard(_App(), budget, timeout=0.2)(_scope(length=1000), client.receive, client.send)
    assert client.status == 408
    assert client.body["error"]["message"] == "request body not received in time"
    assert budget.in_use == 0


async def test_a_client_gone_mid_body_reaches_the_app_as_a_disconnect() -> None:
    budget = BodyBudget(10_000)
    seen: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())

    client = _Client([b"x" * 5], hold=True)
    client.queue.put_nowait({"type": "http.disconnect"})
    await _guard(app, budget)(_scope(), client.receive, client.send)
    assert seen == [{"type": "http.disconnect"}]
    assert budget.in_use == 0


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await _guard(app, BodyBudget(1))({"type": "lifespan"}, _Client([]).receive, _Client([]).send)
    assert seen == ["lifespan"]
