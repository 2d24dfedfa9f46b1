"""The errors the state step answers, in OpenAI's shape (`{"error": {...}}`)."""

from __future__ import annotations

from brightstaff.seams import StepError
from hermesllm.apis import ClientApi
from hermesllm.error_bodies import render_error

__all__ = ["invalid_request", "not_found", "state_not_found", "store_unavailable"]

UNAVAILABLE_MESSAGE = "Conversation state storage is unavailable; retry later."


def _error(status: int, message: str, *, code: str | None, param: str | None) -> StepError:
    body = render_error(ClientApi.RESPONSES, status, message, code=code, param=param)
    return StepError(status, message, code=code, body=body)


def state_not_found(previous_response_id: str) -> StepError:
    """409: no stored conversation for `previous_response_id`."""
    return _error(
        409,
        f"Conversation state not found for previous_response_id: {previous_response_id}",
        code="previous_response_not_found",
        param="previous_response_id",
    )


def store_unavailable() -> StepError:
    """503: the store failed or was too slow."""
    return _error(503, UNAVAILABLE_MESSAGE, code="state_storage_unavailable", param=None)


def invalid_request(message: str, param: str) -> StepError:
    """400: a malformed stateful request."""
    return _error(400, message, code=None, param=param)


def not_found(response_id: str) -> StepError:
    """404: GET/DELETE of an unknown response."""
    return _error(404, f"Response with id '{response_id}' not found.", code=None, param=None)
