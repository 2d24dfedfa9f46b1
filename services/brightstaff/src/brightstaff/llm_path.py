"""The model-listener request path of POST /v1/chat/completions, /v1/messages, /v1/responses.

read body → parse (inline routing preferences, alias, provider check) → input filters →
Responses-API state → routing → forward to the egress with its headers → relay the answer
(output filters on each chunk) → after-response work; metrics, access log and span for each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from brightstaff.asgi import (
    BodyTooLargeError,
    ClientDisconnectedError,
    Receive,
    Scope,
    Send,
    read_body,
    request_headers,
)
from brightstaff.egress import Egress
from brightstaff.models import Models
from brightstaff.observe import LlmRecord, Observer
from brightstaff.relay import ClientRelay, relay_body, relay_error_status, relay_stream
from brightstaff.request import PARSE_KEY, ParseFacts, RequestParser, request_id_of
from brightstaff.seams import LlmRequest, PathSteps, ResponseSummary, StateTurn, StepError
from brightstaff.usage import usage_of_body
from hermesllm.apis import ClientApi
from hermesllm.introspect import last_user_message, tool_names
from plano_common.clip import clip
from plano_common.config.types import Provider
from plano_common.drain import DrainCutError, cut_on_drain
from plano_common.errors import (
    BadGateway,
    GatewayError,
    GatewayTimeout,
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
)
from plano_common.logs import mask_text

__all__ = [
    "PROVIDER_HINT_HEADER",
    "STREAMING_HEADER",
    "LlmPath",
    "PathLimits",
    "egress_headers",
]

PROVIDER_HINT_HEADER = "x-arch-llm-provider-hint"
STREAMING_HEADER = "x-arch-streaming-request"
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "x-goog-api-key", "x-amz-security-token"}
)
_NOT_FORWARDED = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "accept-encoding",
        PROVIDER_HINT_HEADER,
        STREAMING_HEADER,
    }
)
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PathLimits:
    """Bounds of one listener's requests (the server's `BodyGuard` sets the body deadline)."""

    max_body_bytes: int
    request_timeout: float


def egress_headers(
    client: Mapping[str, str], provider: Provider, request: LlmRequest
) -> dict[str, str]:
    """The egress request's headers: the client's (credentials only for a passthrough_auth
    provider), the provider hint, the streaming flag and the request id."""
    listed = {t.strip() for t in client.get("connection", "").lower().split(",")}
    out = {
        name: value
        for name, value in client.items()
        if name not in _NOT_FORWARDED
        and name not in listed
        and (provider.passthrough_auth or name not in CREDENTIAL_HEADERS)
    }
    out["content-type"] = "application/json"
    out[PROVIDER_HINT_HEADER] = provider.name
    out[STREAMING_HEADER] = "true" if request.stream else "false"
    out["x-request-id"] = request.request_id
    return out


class LlmPath:
    """Serves the three client APIs of one listener."""

    def __init__(
        self,
        *,
        listener: str,
        parser: RequestParser,
        egress: Egress,
        steps: PathSteps,
        observer: Observer,
        limits: PathLimits,
    ) -> None:
        self.listener = listener
        self.parser = parser
        self.models: Models = parser.models
        self.egress = egress
        self.steps = steps
        self.observer = observer
        self.limits = limits

    async def __call__(self, api: ClientApi, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request, never raising into the server."""
        headers = request_headers(scope)
        record = LlmRecord(
            request_id_of(headers), self.listener, scope["path"], time.perf_counter()
        )
        relay = ClientRelay(send, api, record)
        self.observer.request_started()
        task = asyncio.current_task()
        watcher: asyncio.Task[None] | None = None
        try:
            body = await self._read(receive, headers)
            if task is not None:
                watcher = asyncio.create_task(_watch_disconnect(receive, task, record))
            async with cut_on_drain(scope), asyncio.timeout(self.limits.request_timeout):
                await self._serve(api, headers, body, record, relay)
        except DrainCutError:
            record.error = "cut by shutdown"
            if record.response_started:
                await relay.fail_stream("the server is shutting down")
            else:
                await relay.error(ServiceUnavailable("the server is shutting down"))
        except StepError as exc:
            record.error = exc.message
            await relay.step_error(exc)
        except GatewayError as exc:
            record.error = exc.message
            await relay.error(exc)
        except TimeoutError:
            record.error = "request timed out"
            record.error_class = "timeout"
            if record.response_started:
                await relay.fail_stream("request timed out")
            else:
                await relay.error(GatewayTimeout("request timed out"))
        except ClientDisconnectedError:
            record.disconnected = True
        except asyncio.CancelledError:
            if not record.disconnected or task is None:
                raise
            task.uncancel()
        except Exception as exc:
            logger.exception("request %s failed", record.request_id)
            record.error = f"internal error: {type(exc).__name__}"
            if record.response_started:
                await relay.fail_stream("internal error")
            else:
                await relay.error(InternalError("internal error"))
        finally:
            if watcher is not None:
                watcher.cancel()
            if record.disconnected and not relay.finished:
                record.status = 499
            record.ended = time.perf_counter()
            self.observer.request_finished(record)

    async def _read(self, receive: Receive, headers: Mapping[str, str]) -> bytes:
        limit = self.limits.max_body_bytes
        try:
            return await read_body(receive, headers.get("content-length"), limit)
        except BodyTooLargeError:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes") from None

    async def _serve(
        self,
        api: ClientApi,
        headers: dict[str, str],
        body: bytes,
        record: LlmRecord,
        relay: ClientRelay,
    ) -> None:
        request = self.parser.parse(
            api, record.path, headers, body, listener=self.listener, request_id=record.request_id
        )
        record.requested_model = request.requested_model
        record.model = request.model
        record.stream = request.stream
        self.observer.start_span(record, headers)
        if record.span is not None:
            _request_attributes(record, request)
        steps = self.steps
        if steps.input_filters is not None:
            await steps.input_filters.apply(request)
        turn = await steps.state.prepare(request) if steps.state is not None else None
        try:
            if steps.router is not None:
                await self._route(request, record)
            provider = self.models.resolve(request.model)
            await self._forward(request, provider, headers, record, relay, turn)
        except BaseException:
            if turn is not None:
                turn.abandon()
            raise

    async def _route(self, request: LlmRequest, record: LlmRecord) -> None:
        router = self.steps.router
        assert router is not None
        started = time.perf_counter()
        decision = await router.decide(request)
        record.routing_seconds = time.perf_counter() - started
        if decision.models:
            request.model = decision.models[0]
        record.route = decision.route
        record.session_id = decision.session_id

    async def _forward(
        self,
        request: LlmRequest,
        provider: Provider,
        client_headers: dict[str, str],
        record: LlmRecord,
        relay: ClientRelay,
        turn: StateTurn | None,
    ) -> None:
        request.provider = provider.name
        record.model, record.provider = request.model, provider.name
        record.label_provider, record.label_model = self.models.label(provider)
        headers = egress_headers(client_headers, provider, request)
        self.observer.propagate(record, client_headers, headers)
        payload = self._payload(request, provider)
        record.upstream_started = time.perf_counter()
        try:
            response = await self.egress.post(request.path, headers, payload)
        except (BadGateway, GatewayTimeout) as exc:
            record.error_class = "timeout" if isinstance(exc, GatewayTimeout) else "connect"
            raise
        record.egress_status = response.status
        chunk_filter = None
        if self.steps.output_filters is not None:
            chunk_filter = self.steps.output_filters.for_request(request)
        body: bytes | None = None
        try:
            if response.status >= 300:
                if turn is not None:
                    turn.abandon()
                await relay_error_status(response, relay)
            elif response.content_type == "text/event-stream":
                await relay_stream(response, relay, turn, chunk_filter)
            else:
                body = await relay_body(response, relay, turn, chunk_filter)
                record.usage = usage_of_body(request.api, body)
        except BaseException:
            response.close()
            raise
        finally:
            response.release()
        self._after(request, record, body)

    def _payload(self, request: LlmRequest, provider: Provider) -> bytes:
        """The body for the egress: the client's own bytes when nothing changed them (no step
        that rewrites bodies is configured, parsing removed nothing, the model id is the
        provider's), else the re-encoded body."""
        request.body["model"] = provider.model
        steps = self.steps
        facts = request.extra.get(PARSE_KEY)
        if (
            isinstance(facts, ParseFacts)
            and facts.raw is not None
            and steps.input_filters is None
            and steps.state is None
            and request.requested_model == provider.model
        ):
            return facts.raw
        return msgspec.json.encode(request.body)

    def _after(self, request: LlmRequest, record: LlmRecord, body: bytes | None) -> None:
        router = self.steps.router
        if router is not None and 200 <= record.status < 300 and record.upstream_started:
            answered = record.first_token_at or time.perf_counter()
            router.record_latency(request.model, answered - record.upstream_started)
        after = self.steps.after_response
        if after is None:
            return
        now = time.perf_counter()
        after.submit(
            request,
            ResponseSummary(
                status=record.status,
                model=request.model,
                provider=request.provider,
                stream=request.stream,
                response_body=body,
                duration_seconds=now - record.started,
                time_to_first_token_seconds=(
                    record.first_token_at - record.started if record.first_token_at else None
                ),
                span_context=record.span.get_span_context() if record.span is not None else None,
            ),
        )


def _request_attributes(record: LlmRecord, request: LlmRequest) -> None:
    """Span attributes read off the request body (only computed when a span records)."""
    span = record.span
    assert span is not None
    body = request.body
    attributes: dict[str, str | int | float | bool] = {}
    temperature = body.get("temperature")
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        attributes["llm.temperature"] = float(temperature)
    names = tool_names(body, request.api)
    if names:
        attributes["llm.tools"] = clip(", ".join(names))
    preview = last_user_message(body, request.api)
    if preview:
        attributes["llm.user_message_preview"] = mask_text(preview[:50])
    span.set_attributes(attributes)


async def _watch_disconnect(receive: Receive, task: asyncio.Task[Any], record: LlmRecord) -> None:
    """Cancel the request's task (and so its egress call) when the client disconnects."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            record.disconnected = True
            task.cancel()
            return
