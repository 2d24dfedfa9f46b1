"""The steps of the model-listener request path, each behind a small protocol.

The LLM path runs, in this order: parse → alias and provider validation → input filters →
Responses-API state → routing → forward to the egress → relay (output filters on each chunk) →
after-response work (signals). Every optional step is one of the protocols below; a step that is
not configured is ``None`` in `PathSteps` and costs nothing on the request path.

A step reports a failure the client must see by raising `StepError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry.trace import SpanContext

from hermesllm.apis import ClientApi
from plano_common.config.types import RoutingPreference

__all__ = [
    "AfterResponse",
    "ChatCompleter",
    "ChunkFilter",
    "ConversationState",
    "InputFilters",
    "LlmRequest",
    "OutputFilters",
    "PathSteps",
    "ResponseSummary",
    "Router",
    "RoutingDecision",
    "StateTurn",
    "StepError",
]


@dataclass(slots=True)
class LlmRequest:
    """One client request on its way through the path; each step updates its own fields."""

    api: ClientApi
    path: str
    """The client's request path, e.g. ``/v1/chat/completions``."""
    body: dict[str, Any]
    """The parsed JSON body; filters and state replace parts of it, the path sets ``model``."""
    headers: Mapping[str, str]
    """The client's headers, names lowercased."""
    request_id: str
    requested_model: str
    """The model the client named (before alias resolution and routing)."""
    model: str
    """The model the egress is asked for: the alias target, then the routing decision."""
    provider: str
    """The name of the configured provider serving `model`."""
    stream: bool
    listener: str
    """The name of the model listener (or agent listener) that received the request."""
    traceparent: str | None = None
    inline_preferences: tuple[RoutingPreference, ...] = ()
    """Routing preferences sent in the body (removed from `body` before forwarding)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Per-step scratch space, keyed by the step's name."""


class StepError(Exception):
    """A step's failure answered to the client.

    With ``body`` the bytes are sent as they are (filters and agents have their own JSON
    shapes); without it the path renders ``message`` in the client's dialect.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str | None = None,
        code: str | None = None,
        body: bytes | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.body = body


class ChatCompleter(Protocol):
    """A non-streaming chat completion through the egress (used by the orchestrator calls).

    Raises `StepError` (or `TimeoutError`) when the egress answers with an error or times out.
    """

    async def __call__(
        self, body: dict[str, Any], *, request: LlmRequest | None, timeout_seconds: float
    ) -> dict[str, Any]: ...


class InputFilters(Protocol):
    """Filters run on the request body before anything else sees it."""

    async def apply(self, request: LlmRequest) -> None:
        """Replace ``request.body`` with the filtered body, or raise `StepError` to block."""
        ...


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Which model serves a request, and why."""

    models: tuple[str, ...]
    """Candidate models, best first; the path sends the first."""
    route: str | None = None
    """The routing preference (route name) chosen, if any."""
    session_id: str | None = None
    pinned: bool = False
    """True when session affinity kept the session's earlier model."""
    switched: bool = False
    """True when the session moved to another model on this request."""
    fallback: str | None = None
    """Why the requested model was kept (``no_route``, ``orchestrator_error``, …), else None."""


class Router(Protocol):
    """Preference routing, session affinity and the routing budget."""

    async def decide(self, request: LlmRequest) -> RoutingDecision:
        """The decision for a request; never raises for orchestrator failures (falls back)."""
        ...

    def record_latency(self, model: str, seconds: float) -> None:
        """Feed a measured upstream latency (for ``prefer: fastest``); must not block."""
        ...


class StateTurn(Protocol):
    """The Responses-API state of one request, capturing the reply as it passes."""

    async def on_response_body(self, body: bytes) -> None:
        """A complete non-streamed 200 reply, before it is sent to the client."""
        ...

    def final_event_start(self, data: bytes) -> int:
        """Where the event that ends the reply starts in ``data`` (complete SSE events), or -1.

        The relay sends what precedes it at once, so earlier events (the first token among
        them, when a short reply arrives in one piece) never wait for the state write.
        """
        ...

    async def on_stream_events(self, data: bytes) -> None:
        """The complete SSE events from the final one on, awaited before they are sent.

        Storing on ``response.completed`` here gives read-your-writes without touching the
        time to first token.
        """
        ...

    def abandon(self) -> None:
        """The reply failed or was cut: store nothing."""
        ...


class ConversationState(Protocol):
    """Responses-API conversation state for upstreams without their own."""

    async def prepare(self, request: LlmRequest) -> StateTurn | None:
        """Merge stored history into ``request.body``; None when this request keeps no state.

        Raises `StepError` (409 unknown ``previous_response_id``, 503 store unavailable).
        """
        ...


class ChunkFilter(Protocol):
    """Output filtering of one streamed or whole reply."""

    async def filter(self, chunk: bytes) -> bytes:
        """The chunk to send instead of ``chunk``; a failing filter returns it unchanged."""
        ...


class OutputFilters(Protocol):
    """Output filters of a model listener."""

    def for_request(self, request: LlmRequest) -> ChunkFilter | None:
        """The filter for this request's reply, or None when nothing applies."""
        ...


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    """What after-response work learns about a finished request."""

    status: int
    model: str
    provider: str
    stream: bool
    response_body: bytes | None = None
    """The whole reply for non-streamed requests."""
    assistant_text: str = ""
    """The reply's text, joined from the stream for streamed requests."""
    duration_seconds: float = 0.0
    time_to_first_token_seconds: float | None = None
    span_context: SpanContext | None = None
    """The request's span (already ended), for after-response work recording its own child span."""


class AfterResponse(Protocol):
    """Work done after a reply (signals); runs off the request path."""

    def submit(self, request: LlmRequest, response: ResponseSummary) -> None:
        """Queue the work and return at once; never raises, never blocks the client."""
        ...


@dataclass(frozen=True, slots=True)
class PathSteps:
    """The optional steps configured for one listener."""

    input_filters: InputFilters | None = None
    state: ConversationState | None = None
    router: Router | None = None
    output_filters: OutputFilters | None = None
    after_response: AfterResponse | None = None
