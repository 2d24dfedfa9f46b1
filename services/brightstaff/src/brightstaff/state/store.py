"""What a conversation-state store keeps and the interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["MAX_ID_LENGTH", "ConversationRecord", "StateStore", "StoreUnavailableError"]

MAX_ID_LENGTH = 256
"""The longest response id stored, looked up or accepted as `previous_response_id`."""


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """The whole history of one conversation up to and including one response.

    ``input_items`` is the merged input of the response followed by its own output, converted
    to input items: exactly what the next turn sends before its new input.
    """

    response_id: str
    input_items: list[dict[str, Any]]
    created_at: int
    """Unix seconds when the record was stored."""
    model: str
    provider: str


class StoreUnavailableError(Exception):
    """The store could not answer in time (database down, slow or misconfigured)."""


class StateStore(Protocol):
    """A conversation-state backend; every method raises `StoreUnavailableError` on failure."""

    async def start(self) -> None:
        """Prepare the backend (open connections, create the table); never raises."""
        ...

    async def close(self) -> None:
        """Release the backend's resources."""
        ...

    async def get(self, response_id: str) -> ConversationRecord | None:
        """The record of a response, or None when it is unknown."""
        ...

    async def put(self, record: ConversationRecord) -> None:
        """Store a record in one atomic write, replacing any record with the same id."""
        ...

    async def delete(self, response_id: str) -> bool:
        """Delete a record; False when it was unknown."""
        ...

    async def delete_older_than(self, created_before: int) -> int:
        """Delete records created before a Unix time; the number deleted."""
        ...
