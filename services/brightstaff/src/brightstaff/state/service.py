"""Responses-API conversation state for upstreams without their own (`ConversationState`).

Only `/v1/responses` requests whose provider does not speak the Responses API natively are
handled; OpenAI-compatible Responses providers keep their own state and get the request as
sent. For the others:

- `previous_response_id` is resolved with one store read (the only database round trip before
  the request goes upstream): stored history + the new input is forwarded, the id is removed.
  An unknown id is a 409, a store failure a 503.
- The reply is captured (`ReplyCapture`) and the merged history + the reply's output items are
  stored under the reply's id. `store: false` requests are continued but not stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

from prometheus_client import CollectorRegistry

from brightstaff.seams import LlmRequest, StateTurn
from brightstaff.state.capture import ReplyCapture
from brightstaff.state.errors import invalid_request, state_not_found, store_unavailable
from brightstaff.state.items import InvalidInputError, forwarded, request_items
from brightstaff.state.memory import MemoryStore
from brightstaff.state.metrics import StateMetrics
from brightstaff.state.postgres import PostgresStore
from brightstaff.state.retention import run_retention
from brightstaff.state.store import (
    MAX_ID_LENGTH,
    ConversationRecord,
    StateStore,
    StoreUnavailableError,
)
from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import upstream_api_for
from plano_common.config.types import PlanoConfig, StateStorage

__all__ = ["ResponsesState", "build_state", "build_store"]

logger = logging.getLogger(__name__)
_PREVIOUS = "previous_response_id"


class ResponsesState:
    """The state step of a model listener, plus the lookups of the `/v1/responses/{id}` API."""

    def __init__(
        self,
        store: StateStore,
        providers: Mapping[str, ProviderId],
        *,
        retention_days: int | None = None,
        metrics: StateMetrics | None = None,
    ) -> None:
        self.store = store
        self._metrics = metrics if metrics is not None else StateMetrics(CollectorRegistry())
        self._stateless = frozenset(
            name
            for name, provider in providers.items()
            if upstream_api_for(provider, ClientApi.RESPONSES) is UpstreamApi.RESPONSES
        )
        self._retention_days = retention_days
        self._retention: asyncio.Task[None] | None = None
        self._started = False

    async def start(self) -> None:
        """Open the store (creating its table) and start retention; never raises.

        Runs once: at start-up when the service calls it, else on the first stateful request.
        """
        if self._started:
            return
        self._started = True
        await self.store.start()
        if self._retention_days is not None:
            self._retention = asyncio.create_task(
                run_retention(self.store, self._retention_days), name="state-retention"
            )

    async def close(self) -> None:
        """Stop retention and close the store."""
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
            self._retention = None
        self._started = False
        await self.store.close()

    def manages(self, request: LlmRequest) -> bool:
        """True for Responses requests whose provider keeps no conversation state."""
        return request.api is ClientApi.RESPONSES and request.provider not in self._stateless

    async def prepare(self, request: LlmRequest) -> StateTurn | None:
        """Merge the stored history into the body; the turn that stores the reply, or None."""
        if not self.manages(request):
            return None
        if not self._started:
            await self.start()
        body = request.body
        try:
            current = request_items(body.get("input"))
        except InvalidInputError as exc:
            raise invalid_request(str(exc), "input") from None
        previous = body.pop(_PREVIOUS, None)
        history = current
        if previous is not None:
            record = await self.load(_checked_id(previous))
            history = forwarded(record.input_items) + current
            body["input"] = list(history)
        if body.get("store") is False:
            return None
        return ReplyCapture(self.store, request, history, self._metrics)

    async def load(self, previous_response_id: str) -> ConversationRecord:
        """The stored record of `previous_response_id`; 409 when unknown, 503 on failure."""
        record = await self.lookup(previous_response_id)
        if record is None:
            raise state_not_found(previous_response_id)
        return record

    async def lookup(self, response_id: str) -> ConversationRecord | None:
        """The stored record of a response or None; 503 (`StepError`) when the store fails."""
        if not self._started:
            await self.start()
        started = time.perf_counter()
        try:
            record = await self.store.get(response_id)
        except StoreUnavailableError as exc:
            self._metrics.observe("load", "error", started)
            logger.warning("conversation state lookup failed: %s", exc)
            raise store_unavailable() from None
        self._metrics.observe("load", "unknown" if record is None else "found", started)
        return record

    async def delete(self, response_id: str) -> bool:
        """Delete a stored response; 503 (`StepError`) when the store fails."""
        if not self._started:
            await self.start()
        started = time.perf_counter()
        try:
            deleted = await self.store.delete(response_id)
        except StoreUnavailableError as exc:
            self._metrics.observe("delete", "error", started)
            logger.warning("conversation state delete failed: %s", exc)
            raise store_unavailable() from None
        self._metrics.observe("delete", "deleted" if deleted else "unknown", started)
        return deleted


def _checked_id(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise invalid_request(
            f"`{_PREVIOUS}` must be a non-empty string of at most {MAX_ID_LENGTH} characters",
            _PREVIOUS,
        )
    return value


def build_store(settings: StateStorage) -> StateStore:
    """The store a `state_storage` section describes."""
    if settings.type == "memory":
        return MemoryStore(max_entries=settings.max_entries, ttl_seconds=settings.ttl_seconds)
    assert settings.connection_string is not None, "normalization requires it for postgres"
    return PostgresStore(
        settings.connection_string,
        timeout_seconds=settings.timeout_seconds,
        synchronous_commit=settings.synchronous_commit,
        cache_bytes=settings.cache_mb << 20,
    )


def build_state(
    config: PlanoConfig, registry: CollectorRegistry | None = None
) -> ResponsesState | None:
    """The state step of a config (recording into `registry`), or None without
    `state_storage`."""
    settings = config.state_storage
    if settings is None:
        return None
    providers = {provider.name: provider.provider_id for provider in config.model_providers}
    retention = settings.retention_days if settings.type == "postgres" else None
    store = build_store(settings)
    metrics = StateMetrics(registry if registry is not None else CollectorRegistry())
    if isinstance(store, PostgresStore):
        metrics.watch_cache(store.cache_stats)
    return ResponsesState(store, providers, retention_days=retention, metrics=metrics)
