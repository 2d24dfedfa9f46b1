"""Parsing of a model-listener request into an `LlmRequest` (shared by the LLM path and
the routing API, so both take the same decision for the same request).

Parse the JSON body by path, strip the inline `routing_preferences`, drop the routing
metadata keys, apply the alias and check that a configured provider serves the model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from brightstaff.models import Models
from brightstaff.seams import LlmRequest
from hermesllm.apis import ClientApi
from hermesllm.introspect import remove_metadata
from plano_common.config.document import RoutingPreferenceEntry
from plano_common.config.types import RoutingPreference
from plano_common.errors import BadRequest
from plano_common.request_ids import new_request_id

__all__ = [
    "MAX_INLINE_PREFERENCES",
    "PARSE_KEY",
    "REQUEST_ID_HEADER",
    "ParseFacts",
    "RequestParser",
    "request_id_of",
]

REQUEST_ID_HEADER = "x-request-id"
MAX_INLINE_PREFERENCES = 64
PARSE_KEY = "parse"
_ROUTING_METADATA_KEYS = ("archgw_preference_config", "plano_preference_config")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_decode = msgspec.json.Decoder().decode
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParseFacts:
    """What parsing learnt about the body (kept in `LlmRequest.extra[PARSE_KEY]`)."""

    raw: bytes | None
    """The body as received when parsing removed nothing from it, else None."""


def request_id_of(headers: Mapping[str, str]) -> str:
    """The client's `x-request-id` when it is a short plain token, else a new one."""
    given = headers.get(REQUEST_ID_HEADER)
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return new_request_id()


class RequestParser:
    """Turns the body of a `/v1/...` request into an `LlmRequest`; raises `GatewayError`s."""

    def __init__(self, models: Models) -> None:
        self.models = models

    def parse(
        self,
        api: ClientApi,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        listener: str,
        request_id: str | None = None,
    ) -> LlmRequest:
        """The request record of a body: 400 when it cannot be parsed, 404 for an unknown model."""
        decoded = _json_object(body)
        if api is not ClientApi.RESPONSES and not isinstance(decoded.get("messages"), list):
            raise BadRequest("Request parsing error: `messages` must be a list", param="messages")
        requested = decoded.get("model")
        if requested is not None and not isinstance(requested, str):
            raise BadRequest("Request parsing error: `model` must be a string", param="model")
        requested = requested or ""
        rewritten = "routing_preferences" in decoded
        preferences = _inline_preferences(decoded.pop("routing_preferences", None))
        for key in _ROUTING_METADATA_KEYS:
            rewritten = remove_metadata(decoded, key) or rewritten
        provider = self.models.resolve(requested)
        return LlmRequest(
            api=api,
            path=path,
            body=decoded,
            headers=headers,
            request_id=request_id or request_id_of(headers),
            requested_model=requested,
            model=self.models.alias_target(requested) if requested else provider.name,
            provider=provider.name,
            stream=decoded.get("stream") is True,
            listener=listener,
            traceparent=headers.get("traceparent"),
            inline_preferences=preferences,
            extra={PARSE_KEY: ParseFacts(raw=None if rewritten else body)},
        )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        decoded = _decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"Request parsing error: invalid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise BadRequest("Request parsing error: the body must be a JSON object")
    return decoded


def _inline_preferences(value: Any) -> tuple[RoutingPreference, ...]:
    """Per-request routing preferences; a malformed list is ignored (logged), as is an
    absent one."""
    if value is None:
        return ()
    try:
        entries = msgspec.convert(value, list[RoutingPreferenceEntry])
    except msgspec.ValidationError as exc:
        logger.warning("ignoring malformed inline routing_preferences: %s", str(exc)[:200])
        return ()
    if len(entries) > MAX_INLINE_PREFERENCES:
        logger.warning("ignoring inline routing_preferences: more than %d", MAX_INLINE_PREFERENCES)
        return ()
    return tuple(
        RoutingPreference(
            name=entry.name,
            description=entry.description,
            models=tuple(entry.models),
            prefer=_prefer(entry),
        )
        for entry in entries
    )


def _prefer(entry: RoutingPreferenceEntry) -> Any:
    policy = entry.selection_policy
    prefer = policy.prefer if policy is not None else None
    return prefer or "none"
