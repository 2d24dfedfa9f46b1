"""Why a filter or agent call failed, and the JSON bodies clients get for it."""

from __future__ import annotations

from typing import Final, Literal

import msgspec

__all__ = [
    "MAX_DETAIL_CHARS",
    "CallError",
    "FailureKind",
    "agent_chain_error_body",
    "client_error_body",
    "filter_chain_error_body",
]

MAX_DETAIL_CHARS: Final = 4096
"""The longest filter or agent answer quoted back to the client."""

FailureKind = Literal["blocked", "server_error", "unreachable", "timeout", "invalid_reply"]


class CallError(Exception):
    """A filter or agent call that did not produce a usable answer.

    ``status`` is the HTTP status the client gets: the callee's own 4xx/5xx, 502 when it
    cannot be reached or answers something unusable, 504 when it times out.
    """

    def __init__(self, target: str, kind: FailureKind, status: int, detail: str) -> None:
        super().__init__(f"{target}: {detail}")
        self.target = target
        self.kind = kind
        self.status = status
        self.detail = detail[:MAX_DETAIL_CHARS]


def _named_error(error: str, failure: CallError) -> bytes:
    return msgspec.json.encode(
        {
            "error": error,
            "agent": failure.target,
            "status": failure.status,
            "agent_response": failure.detail,
        }
    )


def filter_chain_error_body(failure: CallError) -> bytes:
    """A model-listener filter failure: ``{"error": "FilterChainError", "agent", ...}``."""
    return _named_error("FilterChainError", failure)


def client_error_body(failure: CallError) -> bytes:
    """An agent-listener agent or filter failure: ``{"error": "ClientError", "agent", ...}``."""
    return _named_error("ClientError", failure)


def agent_chain_error_body(message: str, chain: list[str] | None = None) -> bytes:
    """Any other agent-listener failure: ``{"error": {"type": "AgentFilterChainError", ...}}``."""
    return msgspec.json.encode(
        {
            "error": {
                "type": "AgentFilterChainError",
                "message": message,
                "error_chain": chain if chain is not None else [message],
            }
        }
    )
