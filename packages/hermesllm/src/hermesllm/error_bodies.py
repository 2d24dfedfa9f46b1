"""Error bodies in each client's dialect, and upstream errors translated into them.

OpenAI (Chat, Responses): `{"error": {"message", "type", "param", "code"}}`.
Anthropic (Messages): `{"type": "error", "error": {"type", "message"}}`.
Upstream shapes understood: both of those, Bedrock `{"message"}` (with `__type`), Gemini
`{"error": {"code", "message", "status"}}`, `{"detail"}`, `{"error": "text"}`, and plain text.
"""

from typing import Any

import msgspec

from hermesllm.apis import ClientApi, UpstreamApi

__all__ = ["MAX_TEXT_MESSAGE", "default_error_type", "render_error", "translate_error"]

MAX_TEXT_MESSAGE = 2000

_OPENAI_TYPES_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
_ANTHROPIC_TYPES_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_OPENAI_TYPES = frozenset(_OPENAI_TYPES_BY_STATUS.values()) | {"server_error"}
_ANTHROPIC_TYPES = frozenset(_ANTHROPIC_TYPES_BY_STATUS.values())
_GEMINI_STATUS_TYPES = {
    "INVALID_ARGUMENT": "invalid_request_error",
    "FAILED_PRECONDITION": "invalid_request_error",
    "OUT_OF_RANGE": "invalid_request_error",
    "UNAUTHENTICATED": "authentication_error",
    "PERMISSION_DENIED": "permission_error",
    "NOT_FOUND": "not_found_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error",
}
_BEDROCK_EXCEPTION_TYPES = {
    "ValidationException": "invalid_request_error",
    "AccessDeniedException": "permission_error",
    "UnrecognizedClientException": "authentication_error",
    "ResourceNotFoundException": "not_found_error",
    "ThrottlingException": "rate_limit_error",
    "ServiceQuotaExceededException": "rate_limit_error",
}


def default_error_type(client: ClientApi, status: int) -> str:
    """The error `type` a client's API uses for an HTTP status."""
    if client is ClientApi.MESSAGES:
        return _ANTHROPIC_TYPES_BY_STATUS.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
    return _OPENAI_TYPES_BY_STATUS.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )


def render_error(
    client: ClientApi,
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> bytes:
    """An error body in the client's dialect; `error_type` defaults from the status."""
    kind = error_type or default_error_type(client, status)
    if client is ClientApi.MESSAGES:
        return msgspec.json.encode({"type": "error", "error": {"type": kind, "message": message}})
    error = {"message": message, "type": kind, "param": param, "code": code}
    return msgspec.json.encode({"error": error})


class _ErrorFacts(msgspec.Struct):
    message: str
    error_type: str | None = None
    code: str | None = None
    param: str | None = None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _from_error_object(error: dict[str, Any]) -> _ErrorFacts | None:
    message = _text(error.get("message"))
    if message is None:
        return None
    status = _text(error.get("status"))
    if status is not None and status in _GEMINI_STATUS_TYPES:
        return _ErrorFacts(message, _GEMINI_STATUS_TYPES[status], status)
    code = _text(error.get("code"))
    return _ErrorFacts(message, _text(error.get("type")), code, _text(error.get("param")))


def _facts(value: Any) -> _ErrorFacts | None:
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, dict):
        return None
    error = value.get("error")
    if isinstance(error, dict):
        return _from_error_object(error)
    if isinstance(error, str):
        return _ErrorFacts(error)
    message = _text(value.get("message")) or _text(value.get("Message"))
    if message is not None:
        exception = _text(value.get("__type")) or ""
        name = exception.rsplit("#", 1)[-1].rsplit(":", 1)[0]
        kind = _BEDROCK_EXCEPTION_TYPES.get(name)
        return _ErrorFacts(message, kind, name or None)
    detail = value.get("detail")
    if isinstance(detail, str):
        return _ErrorFacts(detail)
    if detail is not None:
        return _ErrorFacts(msgspec.json.encode(detail).decode())
    return None


def _is_client_dialect(value: Any, client: ClientApi) -> bool:
    if not isinstance(value, dict):
        return False
    error = value.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return False
    if client is ClientApi.MESSAGES:
        return value.get("type") == "error" and isinstance(error.get("type"), str)
    return "type" not in value and "status" not in error


def translate_error(body: bytes, status: int, upstream: UpstreamApi, client: ClientApi) -> bytes:
    """An upstream error body (any provider's shape, or text) in the client's dialect.

    Every upstream API's shape is recognized by its content, so `upstream` only names the
    source. The upstream message is kept; the type is kept when the client's API knows it, else it
    comes from the status. A body already in the client's dialect is returned unchanged.
    """
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        value = None
    if value is not None and _is_client_dialect(value, client):
        return body
    facts = _facts(value) if value is not None else None
    if facts is None:
        text = body.decode("utf-8", "replace").strip()[:MAX_TEXT_MESSAGE]
        facts = _ErrorFacts(text or f"upstream returned HTTP {status}")
    known = _ANTHROPIC_TYPES if client is ClientApi.MESSAGES else _OPENAI_TYPES
    kind = facts.error_type if facts.error_type in known else None
    return render_error(
        client, status, facts.message, error_type=kind, code=facts.code, param=facts.param
    )
