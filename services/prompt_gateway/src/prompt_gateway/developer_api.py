"""Calls to the developer's APIs: a target's endpoint with the tool-call arguments.

`{name}` placeholders of `endpoint.path` take the URL-encoded argument (one path segment, never
a `/`, `?`, `#` or dot-segment: `plano_common.path_params`); the other arguments, then the
defaults not supplied, become the query string (GET) or a plain JSON object body (POST).
Headers: content-type, x-request-id, traceparent/tracestate, then the target's `http_headers`
(environment references already expanded when the config was loaded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from plano_common.errors import BadRequest
from plano_common.path_params import PathParamError, build_path, remaining_params
from prompt_gateway.errors import UpstreamApplicationError
from prompt_gateway.upstream import Callouts, Target

__all__ = ["ApiCall", "DeveloperApi", "plan_call", "plan_default_call"]


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One planned request to a developer endpoint."""

    endpoint: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]


def _headers(base: Mapping[str, str], configured: Mapping[str, str]) -> dict[str, str]:
    headers = {"content-type": "application/json", **base}
    lowered = {name.lower(): name for name in headers}
    for name, value in configured.items():
        existing = lowered.get(name.lower())
        if existing is not None:
            del headers[existing]
        headers[name] = value
    return headers


def plan_call(
    endpoint: str,
    template: str,
    method: str,
    arguments: Mapping[str, Any],
    defaults: Mapping[str, Any],
    base_headers: Mapping[str, str],
    configured_headers: Mapping[str, str],
) -> ApiCall:
    """The request for a tool call; raises BadRequest (400) when a path parameter is missing."""
    try:
        if method == "GET":
            path, body = build_path(template, arguments, defaults), None
        else:
            path, leftover = remaining_params(template, arguments, defaults)
            body = msgspec.json.encode(leftover)
    except PathParamError as exc:
        raise BadRequest(f"error computing api request path or body: {exc}") from None
    if not path.startswith("/"):
        path = f"/{path}"
    return ApiCall(endpoint, method, path, body, _headers(base_headers, configured_headers))


def plan_default_call(
    endpoint: str,
    path: str,
    messages: list[dict[str, Any]],
    base_headers: Mapping[str, str],
    configured_headers: Mapping[str, str],
) -> ApiCall:
    """The request to a default target: POST `{"messages": [...]}` to its path."""
    body = msgspec.json.encode({"messages": messages})
    return ApiCall(endpoint, "POST", path, body, _headers(base_headers, configured_headers))


class DeveloperApi:
    """Sends planned calls; only a 2xx answer is a result."""

    def __init__(self, callouts: Callouts, targets: Mapping[str, Target], timeout: float) -> None:
        self.callouts = callouts
        self.targets = targets
        self.timeout = timeout

    async def send(self, call: ApiCall) -> str:
        """The answer body as text; raises UpstreamApplicationError on a non-2xx status."""
        target = self.targets[call.endpoint]
        reply = await self.callouts.call(
            target, call.method, call.path, call.headers, call.body, self.timeout
        )
        text = reply.body.decode("utf-8", errors="replace")
        if not 200 <= reply.status < 300:
            raise UpstreamApplicationError(call.endpoint, call.path, reply.status, text)
        return text
