"""What the gateway learns about one request, for metrics, the access log and the span."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import msgspec
from opentelemetry.trace import Span

access_logger = logging.getLogger("llm_gateway.access")


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


class AccessLine(msgspec.Struct, omit_defaults=True):
    """One structured access-log line."""

    request_id: str
    path: str
    status: int
    duration_ms: float
    provider: str
    model: str
    api: str = ""
    requested_model: str = ""
    stream: bool = False
    upstream_ms: float = 0.0
    ttft_ms: float | None = None
    attempts: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str = ""


_encode = msgspec.json.Encoder().encode


def log_access(record: RequestRecord) -> None:
    """Write the request's access-log line (when the access logger is enabled)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    line = AccessLine(
        request_id=record.request_id,
        path=record.path,
        status=record.status,
        duration_ms=round(record.duration * 1000, 3),
        provider=record.provider,
        model=record.model,
        api=record.client_api,
        requested_model=record.requested_model,
        stream=record.streaming,
        upstream_ms=round(record.upstream_time * 1000, 3),
        ttft_ms=(
            round((record.first_token_at - record.started) * 1000, 3)
            if record.first_token_at
            else None
        ),
        attempts=record.attempts,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        error=record.error,
    )
    access_logger.info(_encode(line).decode())
