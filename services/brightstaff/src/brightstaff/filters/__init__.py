"""Filter chains: HTTP and MCP filters on model-listener requests and replies and on agent
requests (see docs/brightstaff.md, "Agents and filters")."""

from __future__ import annotations

from brightstaff.filters.chain import DEFAULT_FILTER_TIMEOUT, FilterChain, FilterSet
from brightstaff.filters.errors import CallError

__all__ = ["DEFAULT_FILTER_TIMEOUT", "CallError", "FilterChain", "FilterSet"]
