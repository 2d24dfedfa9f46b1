"""Ids of translated streams, derived from the upstream's id so output is reproducible."""

from __future__ import annotations

_KNOWN_PREFIXES = ("chatcmpl-", "msg_", "resp_")


def id_base(upstream_id: str | None, fallback: str) -> str:
    """The upstream id without its API prefix (chatcmpl-, msg_, resp_), or `fallback`."""
    if not upstream_id:
        return fallback
    for prefix in _KNOWN_PREFIXES:
        if upstream_id.startswith(prefix):
            return upstream_id[len(prefix) :] or fallback
    return upstream_id
