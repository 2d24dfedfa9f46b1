"""Errors of the prompt flow, rendered as OpenAI-style JSON like every gateway error."""

from __future__ import annotations

from plano_common.clip import clip
from plano_common.errors import GatewayError

__all__ = ["FUNCTION_CALLING_HOST", "UpstreamApplicationError", "UpstreamUnreachableError"]

FUNCTION_CALLING_HOST = "arch_internal"
"""The host named in errors of the function-calling call (the original's cluster name)."""

_BODY_SHOWN = 1024


class UpstreamApplicationError(GatewayError):
    """A callout answered with a non-2xx status: the client gets that status.

    The message is `upstream application error host=<h>, path=<p>, status=<s>, body=<b>`
    (the body clipped). Statuses below 400 (a redirect) become 502.
    """

    def __init__(self, host: str, path: str, status: int, body: str) -> None:
        message = (
            f"upstream application error host={host}, path={path}, status={status}, "
            f"body={clip(body, _BODY_SHOWN)}"
        )
        super().__init__(message, status=status if 400 <= status <= 599 else 502)
        self.upstream_status = status


class UpstreamUnreachableError(GatewayError):
    """A callout failed before any answer: 502 (connection) or 504 (timeout)."""

    def __init__(self, host: str, path: str, reason: str, *, timed_out: bool) -> None:
        what = "timed out" if timed_out else "failed"
        super().__init__(
            f"upstream call {what} host={host}, path={path}: {clip(reason, 200)}",
            status=504 if timed_out else 502,
        )
