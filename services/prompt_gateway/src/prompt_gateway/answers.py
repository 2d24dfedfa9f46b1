"""What the flow hands back to the endpoint: a whole body, or a stream to relay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec

__all__ = ["JSON", "SSE", "Answer", "RelayedStream", "json_answer"]

JSON = "application/json"
SSE = "text/event-stream"


@dataclass(slots=True)
class Answer:
    """A complete response."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RelayedStream:
    """An LLM stream to relay after `prefix` (the gateway's own chunks)."""

    prefix: bytes
    response: aiohttp.ClientResponse


def json_answer(body: dict[str, Any], status: int = 200) -> Answer:
    """A JSON answer."""
    return Answer(status, msgspec.json.encode(body))
