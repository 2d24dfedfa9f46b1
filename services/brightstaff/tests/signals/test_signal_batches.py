"""Conversations answered close together reach the worker process as one batch."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry

from brightstaff.seams import LlmRequest, ResponseSummary
from brightstaff.signals.emit import SignalMetrics
from brightstaff.signals.worker import SignalsStep
from hermesllm.apis import ClientApi

ESCALATION = {"messages": [{"role": "user", "content": "this is taking forever, get me a human"}]}


def _request(index: int) -> LlmRequest:
    return LlmRequest(
        api=ClientApi.CHAT,
        path="/v1/chat/completions",
        body=ESCALATION,
        headers={},
        request_id=f"req-{index}",
        requested_model="gpt-4o",
        model="gpt-4o",
        provider="openai/gpt-4o",
        stream=False,
        listener="llm",
    )


def test_conversations_of_one_moment_go_in_one_batch() -> None:
    registry = CollectorRegistry()
    step = SignalsStep(SignalMetrics(registry), None)
    pool = step._executor()
    batches: list[Any] = []
    submit = pool.submit

    def counting_submit(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        batches.append(args[0])
        return submit(fn, *args, **kwargs)

    pool.submit = counting_submit  # type: ignore[method-assign]

    async def serve() -> None:
        for index in range(5):
            step.submit(_request(index), ResponseSummary(200, "gpt-4o", "openai", False))
        assert await asyncio.to_thread(step.drain)

    try:
        asyncio.run(serve())
    finally:
        asyncio.run(step.aclose())
    assert [len(batch) for batch in batches] == [5]
    quality = {"quality": "severe"}
    assert registry.get_sample_value("brightstaff_signals_conversations_total", quality) == 5
