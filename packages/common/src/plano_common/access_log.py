"""A batched access-log writer: one JSON line per request, written off the request path.

Lines go to stderr by default; `PLANO_ACCESS_LOG` names a file instead, or `off` disables
the log. Callers encode their own line (with client-controlled text already masked) and
hand over the bytes; the writer flushes every `FLUSH_SECONDS` or when many lines wait.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from typing import TextIO

__all__ = ["ACCESS_LOG_ENV", "AccessLogWriter", "access_log_writer_from_env"]

ACCESS_LOG_ENV = "PLANO_ACCESS_LOG"
FLUSH_SECONDS = 0.1
MAX_PENDING = 512


class AccessLogWriter:
    """Buffers encoded lines and writes them in batches."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._pending: list[bytes] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    @property
    def enabled(self) -> bool:
        """False when the access log is off (callers may skip building the line)."""
        return self._stream is not None

    def write(self, line: bytes) -> None:
        """Queue one encoded line (without its newline)."""
        if self._stream is None:
            return
        self._pending.append(line)
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
        text = b"\n".join(self._pending).decode("utf-8", errors="replace") + "\n"
        self._pending.clear()
        self._stream.write(text)
        self._stream.flush()


def access_log_writer_from_env(environ: Mapping[str, str]) -> AccessLogWriter:
    """The writer `PLANO_ACCESS_LOG` asks for: stderr (default), a file path, or off."""
    target = environ.get(ACCESS_LOG_ENV, "stderr").strip()
    if target.lower() in ("off", "none", "0", "false"):
        return AccessLogWriter(None)
    if target.lower() in ("", "stderr", "-"):
        return AccessLogWriter(sys.stderr)
    return AccessLogWriter(open(target, "a", encoding="utf-8"))
