"""The access log: one JSON line per request, written in batches off the request path.

Lines go to stderr by default; `PLANO_ACCESS_LOG` names a file instead, or `off` disables the
log (`plano_common.access_log` does the batching). The fields a client or an upstream controls
(request id, requested model, error text) are clipped to a bounded length and passed through the
shared secret masking; the rest are numbers and configured names.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TextIO

import msgspec

from llm_gateway.record import RequestRecord
from plano_common.access_log import AccessLogWriter, access_log_writer_from_env
from plano_common.clip import CLIENT_TEXT_LIMIT, clip
from plano_common.logs import mask_text

__all__ = ["AccessLine", "AccessLog", "access_line", "access_log_from_env"]


class AccessLine(msgspec.Struct, omit_defaults=True):
    """One access-log line."""

    ts: float
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


def access_line(record: RequestRecord) -> AccessLine:
    """The access-log line of a finished request, with client-controlled text masked."""
    return AccessLine(
        ts=round(time.time(), 3),
        request_id=mask_text(clip(record.request_id)),
        path=record.path,
        status=record.status,
        duration_ms=round(record.duration * 1000, 3),
        provider=clip(record.provider),
        model=clip(record.model),
        api=record.client_api,
        requested_model=mask_text(clip(record.requested_model)) if record.requested_model else "",
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
        error=mask_text(clip(record.error, 4 * CLIENT_TEXT_LIMIT)) if record.error else "",
    )


class AccessLog:
    """Encodes the line of each finished request and hands it to the shared batched writer."""

    def __init__(self, sink: TextIO | AccessLogWriter | None) -> None:
        self._writer = sink if isinstance(sink, AccessLogWriter) else AccessLogWriter(sink)

    @property
    def enabled(self) -> bool:
        """False when the access log is off."""
        return self._writer.enabled

    def write(self, record: RequestRecord) -> None:
        """Queue the line of a finished request."""
        if self._writer.enabled:
            self._writer.write(_encode(access_line(record)))

    def flush(self) -> None:
        """Write every pending line now."""
        self._writer.flush()


def access_log_from_env(environ: Mapping[str, str]) -> AccessLog:
    """The access log `PLANO_ACCESS_LOG` asks for: stderr (default), a file path, or off."""
    return AccessLog(access_log_writer_from_env(environ))
