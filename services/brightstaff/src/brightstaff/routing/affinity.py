"""Session identity: the explicit ``x-model-affinity`` id or a key derived from the prompt.

The implicit key hashes the parts of a conversation that repeat verbatim at the head of every
turn (tenant, system and developer text, tool names, first user message), so every turn of
one conversation maps to the same key without client changes. Only salted hashes are kept,
never prompt text. The hash is FNV-1a 64 with the salt ``plano-affinity-v1`` and a 0x1f
separator folded in after every field, the same function on every replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from brightstaff.routing.prompt import ChatTurn

__all__ = ["AFFINITY_HEADER", "ImplicitAffinity", "fnv1a64", "implicit_affinity"]

AFFINITY_HEADER: Final = "x-model-affinity"
MAX_SESSION_ID_LENGTH: Final = 256
IMPLICIT_PREFIX: Final = "implicit:"
_SALT: Final = b"plano-affinity-v1"
_OFFSET_BASIS: Final = 0xCBF29CE484222325
_PRIME: Final = 0x100000001B3
_MASK: Final = (1 << 64) - 1
_SEPARATOR: Final = 0x1F
_CACHED_FOLDS: Final = 512
_CACHED_FIELD_CHARS: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class ImplicitAffinity:
    """The derived session key and the hash of the stable prompt prefix."""

    session_key: str
    prefix_hash: int


def fnv1a64(fields: Sequence[str]) -> int:
    """Salted FNV-1a 64 of ``fields``, with a separator after each one."""
    value = _SALTED
    for field in fields:
        value = _fold(value, field)
    return value


def _fold_bytes(value: int, chunk: bytes) -> int:
    for byte in chunk:
        value = ((value ^ byte) * _PRIME) & _MASK
    return ((value ^ _SEPARATOR) * _PRIME) & _MASK


_SALTED: Final = _fold_bytes(_OFFSET_BASIS, _SALT)


@lru_cache(maxsize=_CACHED_FOLDS)
def _fold_cached(value: int, field: str) -> int:
    return _fold_bytes(value, field.encode())


def _fold(value: int, field: str) -> int:
    """The hash state after ``field``. System prompts and first user messages repeat on every
    turn of a conversation, so folds of fields up to 64 KiB are remembered (LRU)."""
    if len(field) <= _CACHED_FIELD_CHARS:
        return _fold_cached(value, field)
    return _fold_bytes(value, field.encode())


def implicit_affinity(
    turns: Sequence[ChatTurn], tool_names: Sequence[str], tenant: str | None
) -> ImplicitAffinity | None:
    """The implicit session key, or None when there is no user message to anchor on."""
    first_user = next((t.text for t in turns if t.role == "user"), None)
    if first_user is None:
        return None
    system = "\n".join(t.text for t in turns if t.role in ("system", "developer"))
    tools = ",".join(tool_names)
    prefix = fnv1a64([tenant or "", system, tools])
    session = _fold(prefix, first_user)
    return ImplicitAffinity(f"{IMPLICIT_PREFIX}{session:016x}", prefix)
