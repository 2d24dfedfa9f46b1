"""A conversation record kept in memory as its history's JSON, decoded afresh for each reader
(so no change to a request body can reach a kept record)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from brightstaff.state.store import ConversationRecord

__all__ = ["EncodedRecord"]

_decode_items = msgspec.json.Decoder(list[dict[str, Any]]).decode


@dataclass(slots=True)
class EncodedRecord:
    """Everything of a record but its id, the history kept as JSON, and when it expires."""

    items_json: bytes
    created_at: int
    model: str
    provider: str
    expires_at: float

    def decode(self, response_id: str) -> ConversationRecord:
        """A fresh record with its own history."""
        return ConversationRecord(
            response_id=response_id,
            input_items=_decode_items(self.items_json),
            created_at=self.created_at,
            model=self.model,
            provider=self.provider,
        )
