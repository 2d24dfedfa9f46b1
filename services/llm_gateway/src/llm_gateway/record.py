"""What the gateway learns about one request, for metrics, the access log and the span."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.trace import Span

__all__ = ["RequestRecord"]


@dataclass(slots=True)
class RequestRecord:
    """Mutable facts about one request, filled in as it is served.

    Each group of fields is written by the one phase named above it."""

    # Set on arrival (Pipeline.__call__).
    request_id: str
    path: str
    started: float
    client_api: str = ""
    # Parse phase (pipeline._parse).
    requested_model: str = ""
    streaming: bool = False
    # Route-and-limit phase (Pipeline._route); the relay phase replaces input_tokens with
    # the upstream's usage, or counts them when no limit did (Observer.fill_missing_usage).
    provider: str = "none"
    model: str = "none"
    input_tokens: int | None = None
    rate_limited: bool = False
    # Build phase (Observer.propagate).
    span: Span | None = None
    # Send-and-relay phase (Pipeline._send_and_relay and the _Relay it drives).
    status: int = 0
    attempts: int = 0
    upstream_started: float = 0.0
    upstream_ended: float = 0.0
    first_token_at: float = 0.0
    output_tokens: int | None = None
    response_started: bool = False
    # Outcome: `error` by whichever phase fails, the rest by Pipeline.__call__ and the
    # disconnect watcher.
    disconnected: bool = False
    error: str = ""
    ended: float = 0.0

    @property
    def duration(self) -> float:
        """Seconds from arrival to the last byte out."""
        return self.ended - self.started

    @property
    def upstream_time(self) -> float:
        """Seconds between sending upstream and the upstream's last byte (0 without upstream)."""
        if not self.upstream_started or not self.upstream_ended:
            return 0.0
        return self.upstream_ended - self.upstream_started
