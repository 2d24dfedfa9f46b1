"""The interface every wire format implements."""

from __future__ import annotations

from typing import Protocol

from plano_testkit.wire.common import Turn, WireApi

__all__ = ["Headers", "WireFormat"]

Headers = list[tuple[str, str]]


class WireFormat(Protocol):
    """Renders turns and errors in one provider's wire format."""

    api: WireApi
    tool_id_prefix: str
    response_id_prefix: str
    stream_content_type: str

    def json_body(self, turn: Turn) -> bytes:
        """The non-streaming response body."""
        ...

    def stream_events(self, turn: Turn) -> list[bytes]:
        """The streaming response body, one wire event per item."""
        ...

    def stream_error(
        self, turn: Turn, message: str, error_type: str | None, position: int
    ) -> bytes:
        """The provider's error event sent in the middle of a stream, after `position` events."""
        ...

    def error_response(
        self, status: int, message: str, error_type: str | None, *, request_id: str = ""
    ) -> tuple[bytes, Headers]:
        """The body and extra headers of an HTTP error response (`request_id` is the one the
        response headers carry, for providers that repeat it in the body)."""
        ...
