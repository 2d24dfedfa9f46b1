"""What the gateway learns about one request, for metrics, the access log and the span."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.trace import Span


@dataclass(slots=True)
class RequestRecord:
    """Mutable facts about one request, filled in as it is served."""

    request_id: str
    path: str
    started: float
    client_api: str = ""
    provider: str = "none"
    model: str = "none"
    requested_model: str = ""
    streaming: bool = False
    status: int = 0
    attempts: int = 0
    upstream_started: float = 0.0
    upstream_ended: float = 0.0
    first_token_at: float = 0.0
    ended: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    response_started: bool = False
    disconnected: bool = False
    rate_limited: bool = False
    error: str = ""
    span: Span | None = None

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
