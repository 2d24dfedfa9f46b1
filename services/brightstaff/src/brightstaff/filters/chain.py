"""Filters by id, and chains of them run in order (each one's output feeding the next)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Final, Protocol

from brightstaff.filters.errors import CallError
from brightstaff.filters.http import CallerHttp
from brightstaff.filters.http_filter import HttpFilter
from brightstaff.filters.mcp import McpFilter
from brightstaff.filters.observe import CallObserver
from plano_common.config.types import PlanoConfig

__all__ = ["DEFAULT_FILTER_TIMEOUT", "Filter", "FilterChain", "FilterSet"]

DEFAULT_FILTER_TIMEOUT: Final = 30.0
"""Seconds one filter call may take when its config gives no ``timeout``."""


class Filter(Protocol):
    """One filter: bytes in, filtered bytes out, or `CallError`."""

    id: str
    kind: str

    async def apply(self, data: bytes, path: str, headers: Mapping[str, str]) -> bytes: ...


class FilterSet:
    """Every filter of a config (``filters`` entries, and agents used as MCP filters)."""

    def __init__(self, config: PlanoConfig, http: CallerHttp, observer: CallObserver) -> None:
        self.observer = observer
        self.filters: dict[str, Filter] = {}
        self.timeouts: dict[str, float] = {}
        for item in config.filters:
            if item.type == "http":
                self.filters[item.id] = HttpFilter(item.id, item.url, http)
            else:
                self.filters[item.id] = McpFilter(item.id, item.url, item.tool or item.id, http)
            self.timeouts[item.id] = item.timeout_seconds or DEFAULT_FILTER_TIMEOUT
        for agent in config.agents:
            self.filters.setdefault(agent.id, McpFilter(agent.id, agent.url, agent.id, http))
            self.timeouts.setdefault(agent.id, agent.timeout_seconds or DEFAULT_FILTER_TIMEOUT)

    def chain(self, ids: Sequence[str], direction: str) -> FilterChain | None:
        """The chain of the listed filters (None when the list is empty)."""
        if not ids:
            return None
        return FilterChain(
            tuple(self.filters[i] for i in ids), self.timeouts, self.observer, direction
        )

    def mcp_sessions_open(self) -> int:
        """MCP sessions held now (one per MCP filter in use)."""
        return sum(
            1 for f in self.filters.values() if isinstance(f, McpFilter) and f.session_active
        )

    async def close(self) -> None:
        """End the MCP sessions."""
        for item in self.filters.values():
            if isinstance(item, McpFilter):
                await item.close()


class FilterChain:
    """Filters applied in order."""

    def __init__(
        self,
        filters: tuple[Filter, ...],
        timeouts: Mapping[str, float],
        observer: CallObserver,
        direction: str,
    ) -> None:
        self.filters = filters
        self.ids = tuple(f.id for f in filters)
        self._timeouts = timeouts
        self._observer = observer
        self._direction = direction

    async def run(self, data: bytes, path: str, headers: Mapping[str, str]) -> bytes:
        """``data`` through every filter; raises the first `CallError`."""
        for item in self.filters:
            data = await self.run_one(item, data, path, headers)
        return data

    async def run_one(
        self, item: Filter, data: bytes, path: str, headers: Mapping[str, str]
    ) -> bytes:
        """One filter call, bounded by its timeout, observed."""
        seconds = self._timeouts.get(item.id, DEFAULT_FILTER_TIMEOUT)
        with self._observer.filter_call(item.id, item.kind, self._direction):
            try:
                async with asyncio.timeout(seconds):
                    return await item.apply(data, path, headers)
            except TimeoutError:
                raise CallError(
                    item.id, "timeout", 504, f"filter {item.id} timed out after {seconds:g}s"
                ) from None
