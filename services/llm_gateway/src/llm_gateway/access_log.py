"""The access log: one JSON line per request, written in batches off the request path.

Lines go to stderr by default; `PLANO_ACCESS_LOG` names a file instead, or `off` disables the
log. The fields a client or an upstream controls (request id, requested model, error text) are
passed through the shared secret masking; the rest are numbers and configured names.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping
from typing import TextIO

import msgspec

from llm_gateway.record import RequestRecord
from plano_common.logs import mask_text

FLUSH_SECONDS = 0.1
MAX_PENDING = 512


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
        request_id=mask_text(record.request_id),
        path=record.path,
        status=record.status,
        duration_ms=round(record.duration * 1000, 3),
        provider=record.provider,
        model=record.model,
        api=record.client_api,
        requested_model=mask_text(record.requested_model) if record.requested_model else "",
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
        error=mask_text(record.error) if record.error else "",
    )


class AccessLog:
    """Buffers access lines and writes them every FLUSH_SECONDS (or when many are pending)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._pending: list[bytes] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    @property
    def enabled(self) -> bool:
        """False when the access log is off."""
        return self._stream is not None

    def write(self, record: RequestRecord) -> None:
        """Queue the line of a finished request."""
        if self._stream is None:
            return
        self._pending.append(_encode(access_line(record)))
        if len(self._pending) >= MAX_PENDING:
            self.flush()
        elif self._flush_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._flush_handle = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write every pending line now."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._pending or self._stream is None:
            return
        lines = b"\n".join(self._pending).decode() + "\n"
        self._pending.clear()
        self._stream.write(lines)
        self._stream.flush()


def access_log_from_env(environ: Mapping[str, str]) -> AccessLog:
    """The access log `PLANO_ACCESS_LOG` asks for: stderr (default), a file path, or off."""
    target = environ.get("PLANO_ACCESS_LOG", "stderr").strip()
    if target.lower() in ("off", "none", "0", "false"):
        return AccessLog(None)
    if target.lower() in ("", "stderr", "-"):
        return AccessLog(sys.stderr)
    return AccessLog(open(target, "a", encoding="utf-8"))
