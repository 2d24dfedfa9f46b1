"""Response and item ids: API prefixes (`chatcmpl-`, `msg_`, `resp_`, ...) and fresh ids.

A translated response keeps the upstream id's body under the client API's prefix, so the same
upstream answer always gets the same client id.
"""

import uuid

__all__ = ["bare_id", "id_base", "new_id", "prefixed"]

_ID_PREFIXES = ("chatcmpl-", "msg_", "resp_", "call_", "toolu_", "fc_", "rs_", "bedrock-")


def bare_id(value: str) -> str:
    """An id without its API prefix (`msg_abc` → `abc`), so it can take another prefix."""
    for prefix in _ID_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def id_base(upstream_id: str | None, fallback: str) -> str:
    """The body of an upstream id (`bare_id`), or `fallback` when it has none."""
    return (bare_id(upstream_id) if upstream_id else "") or fallback


def new_id() -> str:
    """A fresh random id body."""
    return uuid.uuid4().hex


def prefixed(prefix: str, value: str) -> str:
    """`value` with `prefix`, replacing any other API prefix it had."""
    if value.startswith(prefix):
        return value
    return prefix + bare_id(value)
