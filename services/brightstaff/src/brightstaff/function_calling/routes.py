"""``POST /function_calling``: read and check the request, run the backend, answer JSON.

Errors keep the original's bodies: 400 ``{"error": "Invalid request body: …"}``, 500
``{"error": "[Arch-Function] - Error in function calling: …"}`` (``[Arch-Agent]`` with
``metadata.use_agent_orchestrator``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brightstaff.asgi import BodyTooLargeError, read_body, request_headers
from brightstaff.function_calling.answer import FcOutcome, FcRequest, completion_body
from brightstaff.function_calling.prompt import PromptError, process_messages
from brightstaff.function_calling.upstream import ModelCallError
from brightstaff.metrics import BrightstaffMetrics
from plano_common.clip import clip
from plano_common.logs import mask_text

__all__ = [
    "FUNCTION_CALLING_PATH",
    "HANDLER_FUNCTION_CALLING",
    "Backend",
    "FunctionCallingApi",
    "function_calling_routes",
]

FUNCTION_CALLING_PATH = "/function_calling"
HANDLER_FUNCTION_CALLING = "function_calling"
INLINE_PARSE_BYTES = 64 * 1024
"""Bodies larger than this are parsed and prepared in a worker thread, off the event loop."""
_JSON = "application/json"
logger = logging.getLogger(__name__)


class Backend(Protocol):
    """A function-calling backend."""

    name: str

    async def answer(self, request: FcRequest, messages: list[dict[str, str]]) -> FcOutcome:
        """The outcome for a checked request and its Arch-Function prompt messages."""
        ...


class InvalidRequestError(ValueError):
    """The body is not a usable function-calling request."""


def _json_response(status: int, body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, media_type=_JSON)


def _checked(body: bytes, request_id: str) -> tuple[FcRequest, list[dict[str, str]]]:
    """Parse and check the body, and build the model's messages (may run in a thread)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestError(str(exc)) from None
    if not isinstance(data, dict):
        raise InvalidRequestError("expected a JSON object")
    messages, tools, metadata = data.get("messages"), data.get("tools"), data.get("metadata")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages
    ):
        raise InvalidRequestError("missing field `messages` (a list of messages with a role)")
    if tools is not None and not (
        isinstance(tools, list) and all(isinstance(t, dict) for t in tools)
    ):
        raise InvalidRequestError("`tools` must be a list of tool objects")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidRequestError("`metadata` must be an object")
    model = data.get("model")
    request = FcRequest(
        model=model if isinstance(model, str) else "Arch-Function",
        messages=messages,
        tools=tools or None,
        metadata=metadata or {},
        request_id=request_id,
    )
    try:
        prepared = process_messages(
            messages, request.tools, optimize_context=request.optimize_context
        )
    except PromptError as exc:
        raise InvalidRequestError(str(exc)) from None
    return request, prepared


class FunctionCallingApi:
    """The ``/function_calling`` handler over one backend (None: nothing configured)."""

    def __init__(
        self,
        backend: Backend | None,
        metrics: BrightstaffMetrics,
        *,
        max_body_bytes: int,
        timeout_seconds: float,
    ) -> None:
        self.backend = backend
        self._metrics = metrics
        self._max_body = max_body_bytes
        self._timeout = timeout_seconds

    async def handle(self, request: Request) -> Response:
        """Answer one request (200 completion, 400/408/413 bad input, 500 model failure)."""
        started = time.perf_counter()
        response = await self._answer(request)
        self._metrics.observe_http(
            HANDLER_FUNCTION_CALLING, "POST", response.status_code, time.perf_counter() - started
        )
        return response

    async def _answer(self, http: Request) -> Response:
        headers = request_headers(http.scope)
        try:
            body = await read_body(http.receive, headers.get("content-length"), self._max_body)
        except BodyTooLargeError:
            return _json_response(
                413, {"error": f"Invalid request body: larger than {self._max_body} bytes"}
            )
        request_id = clip(headers.get("x-request-id", ""), 128) or str(uuid.uuid4())
        try:
            if len(body) > INLINE_PARSE_BYTES:
                request, messages = await asyncio.to_thread(_checked, body, request_id)
            else:
                request, messages = _checked(body, request_id)
        except InvalidRequestError as exc:
            return _json_response(400, {"error": f"Invalid request body: {clip(str(exc), 300)}"})
        return await self._run(request, messages)

    async def _run(self, request: FcRequest, messages: list[dict[str, str]]) -> Response:
        handler = "Arch-Agent" if request.agent_mode else "Arch-Function"
        try:
            if self.backend is None:
                raise ModelCallError("no model is configured for function calling")
            async with asyncio.timeout(self._timeout):
                outcome = await self.backend.answer(request, messages)
        except (ModelCallError, TimeoutError) as exc:
            reason = str(exc) or f"no answer within {self._timeout:g} s"
            logger.warning("function calling failed: %s", mask_text(clip(reason, 300)))
            return _json_response(
                500, {"error": f"[{handler}] - Error in function calling: {clip(reason, 500)}"}
            )
        return _json_response(200, completion_body(request, outcome))


def function_calling_routes(api: FunctionCallingApi) -> list[BaseRoute]:
    """The route list mounted on the internal API port."""
    return [Route(FUNCTION_CALLING_PATH, api.handle, methods=["POST"])]
