"""The gateway's error hierarchy, each error rendered in the client's API dialect.

An error carries an HTTP status, a human message and optional OpenAI-style ``error_type``,
``code`` and ``param``. ``render(client)`` produces the JSON body: OpenAI's
``{"error": {"message", "type", "param", "code"}}`` for Chat Completions / Responses clients,
Anthropic's ``{"type": "error", "error": {"type", "message"}}`` for Messages clients. When no
``error_type`` is given, the dialect's conventional type for the status is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from hermesllm.apis import ClientApi
from hermesllm.error_bodies import render_error
from plano_common.clip import clip

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "BadGateway",
    "BadRequest",
    "GatewayError",
    "GatewayTimeout",
    "InternalError",
    "ModelNotFound",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "retry_after_value",
]

MAX_MESSAGE_LENGTH = 2048
"""Longest error message a client gets (longer ones, e.g. echoing client input, are clipped)."""


class GatewayError(Exception):
    """Base of every error the gateway answers a client with."""

    status: int = 500
    default_message: str = "internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        self.message = (
            clip(message, MAX_MESSAGE_LENGTH) if message is not None else self.default_message
        )
        if status is not None:
            self.status = status
        self.error_type = error_type
        self.code = code
        self.param = param
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        """Extra response headers that belong to this error (e.g. Retry-After)."""
        return {}

    def render(self, client: ClientApi) -> bytes:
        """The JSON error body in the client's dialect."""
        return render_error(
            client,
            self.status,
            self.message,
            error_type=self.error_type,
            code=self.code,
            param=self.param,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"


class BadRequest(GatewayError):  # noqa: N818 (named after the HTTP status)
    """400: the request cannot be served as sent."""

    status = 400
    default_message = "bad request"


class Unauthorized(GatewayError):  # noqa: N818 (named after the HTTP status)
    """401: missing or invalid credentials."""

    status = 401
    default_message = "missing or invalid credentials"


class NotFound(GatewayError):  # noqa: N818 (named after the HTTP status)
    """404: unknown path or resource."""

    status = 404
    default_message = "not found"


class ModelNotFound(NotFound):
    """404: the requested model is not configured; the message says how to fix it."""

    def __init__(self, model: str, available: Iterable[str] = ()) -> None:
        names = sorted(set(available))
        hint = f" Available models: {', '.join(names)}." if names else ""
        message = (
            f"Model '{model}' not found in configured providers.{hint} Use one of the configured "
            "model names or aliases, or add a model_providers entry for it "
            "(model: <provider>/<model_id>)."
        )
        super().__init__(message, code="model_not_found", param="model")
        self.model = model


class PayloadTooLarge(GatewayError):  # noqa: N818 (named after the HTTP status)
    """413: the request body exceeds the configured limit."""

    status = 413
    default_message = "request body too large"


class RateLimited(GatewayError):  # noqa: N818 (named after the HTTP status)
    """429: a rate limit rejected the request; ``retry_after`` seconds feed Retry-After."""

    status = 429
    default_message = "rate limit exceeded"

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message, code="rate_limit_exceeded")
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"retry-after": retry_after_value(self.retry_after)}


def retry_after_value(seconds: float) -> str:
    """A Retry-After header value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))


class InternalError(GatewayError):
    """500: a bug or unexpected condition inside the gateway."""

    status = 500
    default_message = "internal server error"


class BadGateway(GatewayError):  # noqa: N818 (named after the HTTP status)
    """502: the upstream could not be reached or answered with something unusable."""

    status = 502
    default_message = "bad gateway: upstream failure"


class ServiceUnavailable(GatewayError):  # noqa: N818 (named after the HTTP status)
    """503: the gateway or the upstream cannot serve now."""

    status = 503
    default_message = "service unavailable"


class GatewayTimeout(GatewayError):  # noqa: N818 (named after the HTTP status)
    """504: the upstream did not answer in time."""

    status = 504
    default_message = "upstream request timed out"
