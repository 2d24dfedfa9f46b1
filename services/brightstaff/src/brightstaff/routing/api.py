"""The routing API: ``/routing/v1/{chat/completions,messages,responses}`` on the internal port.

It answers the decision the LLM path would take for the same request, without forwarding it:
``{"models": [...], "route": ..., "trace_id": ..., "session_id": ..., "pinned": ...,
"switched": ...}`` (``session_id`` only when the request has a session). The body is parsed
by the LLM path's own parser and decided by the same router.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brightstaff.asgi import BodyTooLargeError, read_body, request_headers
from brightstaff.metrics import HANDLER_ROUTING, BrightstaffMetrics
from brightstaff.request import RequestParser
from brightstaff.routing.metrics import RoutingMetrics
from brightstaff.routing.router import PreferenceRouter
from hermesllm.apis import ClientApi
from plano_common.errors import GatewayError, PayloadTooLarge
from plano_common.tracing import ROUTING, Tracing, trace_id_hex

__all__ = ["ROUTING_PATHS", "routing_api_routes"]

ROUTING_PATHS: Final = {
    "/routing/v1/chat/completions": ClientApi.CHAT,
    "/routing/v1/messages": ClientApi.MESSAGES,
    "/routing/v1/responses": ClientApi.RESPONSES,
}
ROUTING_LISTENER: Final = "routing"
_JSON: Final = "application/json"
_TRACEPARENT_LENGTH: Final = 55


class RoutingApi:
    """The handler of the three routing API paths."""

    def __init__(
        self,
        parser: RequestParser,
        router: PreferenceRouter,
        metrics: RoutingMetrics,
        http_metrics: BrightstaffMetrics,
        tracing: Tracing | None,
        *,
        max_body_bytes: int,
    ) -> None:
        self._parser = parser
        self._router = router
        self._metrics = metrics
        self._http = http_metrics
        self._tracing = tracing
        self._max_body = max_body_bytes

    async def handle(self, request: Request) -> Response:
        """Decide one request; 4xx in the path's dialect when it cannot be parsed."""
        started = time.perf_counter()
        api = ROUTING_PATHS[request.url.path]
        headers = request_headers(request.scope)
        try:
            response = await self._answer(api, request, headers)
        except GatewayError as exc:
            self._metrics.service_outcome("policy_error")
            response = Response(exc.render(api), exc.status, media_type=_JSON)
        self._http.observe_http(
            HANDLER_ROUTING, request.method, response.status_code, time.perf_counter() - started
        )
        return response

    async def _answer(self, api: ClientApi, request: Request, headers: dict[str, str]) -> Response:
        try:
            body = await read_body(request.receive, headers.get("content-length"), self._max_body)
        except BodyTooLargeError:
            raise PayloadTooLarge(f"request body exceeds {self._max_body} bytes") from None
        parsed = self._parser.parse(api, request.url.path, headers, body, listener=ROUTING_LISTENER)
        if self._tracing is None:
            decision = await self._router.decide(parsed)
            trace_id = _trace_id_of(headers.get("traceparent"))
        else:
            with self._tracing.server_span("routing_decision", headers, component=ROUTING) as span:
                decision = await self._router.decide(parsed)
            trace_id = trace_id_hex(span) or _trace_id_of(headers.get("traceparent"))
        self._metrics.service_outcome("no_candidates" if decision.fallback else "decision_served")
        answer: dict[str, Any] = {
            "models": list(decision.models),
            "route": decision.route,
            "trace_id": trace_id,
        }
        if decision.session_id is not None:
            answer["session_id"] = decision.session_id
        answer["pinned"] = decision.pinned
        answer["switched"] = decision.switched
        return Response(msgspec.json.encode(answer), 200, media_type=_JSON)


def _trace_id_of(traceparent: str | None) -> str:
    """The trace id of a valid W3C traceparent, else a new random one."""
    if traceparent is not None and len(traceparent) == _TRACEPARENT_LENGTH:
        parts = traceparent.split("-")
        trace_id = parts[1] if len(parts) == 4 else ""
        valid = len(trace_id) == 32 and all(c in "0123456789abcdef" for c in trace_id)
        if valid and trace_id != "0" * 32:
            return trace_id
    return secrets.token_hex(16)


def routing_api_routes(api: RoutingApi) -> list[BaseRoute]:
    """The routes to mount on the internal port (every method reaches the handler: POST)."""
    return [Route(path, api.handle, methods=["POST"]) for path in ROUTING_PATHS]
