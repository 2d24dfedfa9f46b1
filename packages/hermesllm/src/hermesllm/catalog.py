"""The catalog of well-known model ids per provider, shipped as package data.

Used to expand ``provider/*`` wildcard providers for ``/v1/models``. The catalog is read
from ``hermesllm/data/model_catalog.json`` once, on first use; it is refreshed offline by
``packages/hermesllm/scripts/refresh_model_catalog.py``. Model ids carry no provider prefix
(``gpt-4o``, not ``openai/gpt-4o``).
"""

from functools import cache
from importlib.resources import files
from typing import Final

import msgspec

from hermesllm.provider_ids import ProviderId

__all__ = ["CATALOG_RESOURCE", "ModelCatalog", "decode_catalog", "load_catalog", "models_for"]

CATALOG_RESOURCE: Final = "model_catalog.json"

_SHARED_CATALOGS: Final[dict[ProviderId, ProviderId]] = {
    ProviderId.AZURE_OPENAI: ProviderId.OPENAI,
}


class ModelCatalog(msgspec.Struct, frozen=True):
    """The catalog file: a format number, the date of the last refresh, ids per provider."""

    format: int
    updated: str
    providers: dict[str, list[str]]


def decode_catalog(raw: bytes) -> ModelCatalog:
    """Decode catalog JSON (raises msgspec.ValidationError/DecodeError when malformed)."""
    return msgspec.json.decode(raw, type=ModelCatalog)


@cache
def load_catalog() -> ModelCatalog:
    """The packaged catalog, read once."""
    raw = files("hermesllm.data").joinpath(CATALOG_RESOURCE).read_bytes()
    return decode_catalog(raw)


@cache
def models_for(provider: ProviderId) -> tuple[str, ...]:
    """Well-known model ids of a provider (empty for gateways with open-ended catalogs)."""
    source = _SHARED_CATALOGS.get(provider, provider)
    return tuple(load_catalog().providers.get(source.value, ()))
