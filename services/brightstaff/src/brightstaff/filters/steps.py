"""The model listener's filter steps: input filters on the request body, output filters on
every reply chunk (a failing output filter lets the chunk through and is counted)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import msgspec

from brightstaff.filters.chain import FilterChain
from brightstaff.filters.errors import CallError, filter_chain_error_body
from brightstaff.filters.observe import CallerMetrics
from brightstaff.seams import ChunkFilter, InputFilters, LlmRequest, OutputFilters, StepError
from plano_common.tracing import current_traceparent

__all__ = ["ModelInputFilters", "ModelOutputFilters", "call_headers"]

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
logger = logging.getLogger(__name__)


def call_headers(request_id: str, traceparent: str | None) -> dict[str, str]:
    """The headers every filter and agent call carries: the request id and trace context."""
    headers = {"x-request-id": request_id}
    parent = current_traceparent() or traceparent
    if parent:
        headers["traceparent"] = parent
    return headers


class ModelInputFilters(InputFilters):
    """Input filters of each model listener (by listener name)."""

    def __init__(self, chains: Mapping[str, FilterChain]) -> None:
        self._chains = dict(chains)

    async def apply(self, request: LlmRequest) -> None:
        """Replace the body with the chain's output; a failure answers ``FilterChainError``."""
        chain = self._chains.get(request.listener)
        if chain is None:
            return
        headers = call_headers(request.request_id, request.traceparent)
        try:
            out = await chain.run(_encode(request.body), request.path, headers)
            body = _json_object(out)
        except CallError as exc:
            raise StepError(
                exc.status,
                str(exc),
                error_type="FilterChainError",
                body=filter_chain_error_body(exc),
            ) from None
        request.body = body


def _json_object(data: bytes) -> dict[str, object]:
    try:
        value = _decode(data)
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise CallError("input filters", "invalid_reply", 502, "filtered body is not a JSON object")
    return value


class ModelOutputFilters(OutputFilters):
    """Output filters of each model listener (by listener name)."""

    def __init__(self, chains: Mapping[str, FilterChain], metrics: CallerMetrics) -> None:
        self._chains = dict(chains)
        self._metrics = metrics

    def for_request(self, request: LlmRequest) -> ChunkFilter | None:
        """The chunk filter of the request's listener, if it has output filters."""
        chain = self._chains.get(request.listener)
        if chain is None:
            return None
        headers = call_headers(request.request_id, request.traceparent)
        return _ChunkFilter(chain, request.path, headers, self._metrics)


class _ChunkFilter(ChunkFilter):
    __slots__ = ("_chain", "_headers", "_metrics", "_path")

    def __init__(
        self,
        chain: FilterChain,
        path: str,
        headers: dict[str, str],
        metrics: CallerMetrics,
    ) -> None:
        self._chain = chain
        self._path = path
        self._headers = headers
        self._metrics = metrics

    async def filter(self, chunk: bytes) -> bytes:
        """The chunk through each filter; a failing filter is skipped for this chunk."""
        data = chunk
        for item in self._chain.filters:
            try:
                data = await self._chain.run_one(item, data, self._path, self._headers)
            except CallError as exc:
                logger.warning("output filter %s failed, chunk passed through: %s", item.id, exc)
                m = self._metrics
                m.child(m.output_passthrough, item.id).inc()
        return data
