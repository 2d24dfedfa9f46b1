"""Validation of client-supplied model ids (body ``model``, provider-hint header) before any
upstream call.

A model id may end up in an upstream URL path (Bedrock, Azure, Gemini), a log line, an error
message and a metric label, so it is refused with 400 when it

- is longer than the configured limit (``DEFAULT_MAX_MODEL_ID_LENGTH`` characters by default),
- contains a control character (C0, DEL, C1) or an unpaired surrogate,
- has a ``.`` or ``..`` segment between slashes (``..``, ``../x``, ``a/./b``).

Every other character is allowed; paths carry it percent-encoded
(``hermesllm.providers.model_path_segment``). Messages never echo the refused id.
"""

from __future__ import annotations

import re

from plano_common.errors import BadRequest

__all__ = ["DEFAULT_MAX_MODEL_ID_LENGTH", "InvalidModelIdError", "check_model_id"]

DEFAULT_MAX_MODEL_ID_LENGTH = 256

_FORBIDDEN_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_DOT_SEGMENTS = frozenset({".", ".."})


class InvalidModelIdError(BadRequest):
    """400: a model id that cannot be sent upstream; the message says why."""

    def __init__(self, message: str, *, param: str | None) -> None:
        super().__init__(message, code="invalid_model", param=param)


def check_model_id(
    value: str,
    *,
    max_length: int = DEFAULT_MAX_MODEL_ID_LENGTH,
    source: str = "`model`",
    param: str | None = "model",
) -> str:
    """``value`` when it is a usable model id, else raise InvalidModelIdError.

    ``source`` names where the id came from in the message (e.g. ``the x-arch-llm-provider-hint
    header``); ``param`` is the error's ``param`` field.
    """
    if len(value) > max_length:
        raise InvalidModelIdError(
            f"{source} is {len(value)} characters long; the limit is {max_length}", param=param
        )
    if _FORBIDDEN_CHARACTER.search(value) is not None:
        raise InvalidModelIdError(f"{source} contains a control character", param=param)
    if "." in value and not _DOT_SEGMENTS.isdisjoint(value.split("/")):
        raise InvalidModelIdError(
            f"{source} must not contain a `.` or `..` path segment", param=param
        )
    return value
