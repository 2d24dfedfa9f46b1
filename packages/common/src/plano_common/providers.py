"""Provider lookup for the hot path: names, models, wildcards, aliases and `/v1/models`.

Lookup order for a name: exact provider name → full `provider/model` → bare model id (the
whole name, then for `p/m` the id `m` on a provider with prefix `p`) → `p/*` wildcard, which
returns the wildcard provider with `model` set to `m`. Wildcards of known providers with a
model catalog also answer their catalog's models by full and bare id (a custom prefix with a
`provider_interface` is not expanded: its server's models are unknown). Specific entries always win
over wildcard ones.

`/v1/models` lists every non-internal model in OpenAI's shape, then every alias, marked with
an `alias_of` field naming the model it resolves to; `model_entry` answers
`/v1/models/{id}` for a listed id, an alias, or any other name the lookup resolves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from hermesllm.catalog import models_for
from hermesllm.provider_ids import parse_provider_id
from plano_common.config.types import PlanoConfig, Provider
from plano_common.model_ids import DEFAULT_MAX_MODEL_ID_LENGTH

ResolvedProvider = Provider
"""What a lookup returns: a normalized provider whose `model` is the id to send upstream."""

__all__ = ["ProviderTable", "ResolvedProvider"]

_WILDCARD_CACHE_LIMIT = 4096

ModelEntry = dict[str, Any]


class ProviderTable:
    """Dictionary-backed lookups over the providers of a normalized config."""

    def __init__(self, config: PlanoConfig) -> None:
        self._by_name: dict[str, Provider] = {}
        self._by_full: dict[str, Provider] = {}
        self._by_model: dict[str, Provider] = {}
        self._wildcards: dict[str, Provider] = {}
        self._wildcard_hits: dict[str, Provider] = {}
        self._aliases = dict(config.model_aliases)
        self._listing: list[Provider] = []
        self._entries_by_id: dict[str, ModelEntry] | None = None
        self.default: ResolvedProvider | None = None
        self._index(config.model_providers)

    def _index(self, providers: Iterable[Provider]) -> None:
        ordered = sorted(providers, key=lambda p: p.wildcard)
        for provider in ordered:
            if provider.default and self.default is None:
                self.default = provider
            self._by_name.setdefault(provider.name, provider)
            if provider.wildcard:
                self._wildcards.setdefault(provider.prefix, provider)
                if parse_provider_id(provider.prefix) is provider.provider_id:
                    self._wildcards.setdefault(provider.provider_id.value, provider)
                continue
            self._by_full.setdefault(provider.full_model, provider)
            self._by_model.setdefault(provider.model, provider)
            if not provider.internal:
                self._listing.append(provider)
        for provider in ordered:
            if provider.wildcard:
                self._expand(provider)

    def _expand(self, wildcard: Provider) -> None:
        known = parse_provider_id(wildcard.prefix)
        if known is None:
            return  # a custom server: its models are unknown, the interface's catalog is not its
        for model in models_for(known):
            full = f"{wildcard.prefix}/{model}"
            if full in self._by_full or full in self._by_name:
                continue
            entry = msgspec.structs.replace(wildcard, name=full, model=model, wildcard=False)
            self._by_full[full] = entry
            self._by_model.setdefault(model, entry)
            if not wildcard.internal:
                self._listing.append(entry)

    def resolve(self, name: str) -> ResolvedProvider | None:
        """The provider serving `name`, or None. Aliases are not applied (see resolve_model)."""
        found = self._by_name.get(name) or self._by_full.get(name) or self._by_model.get(name)
        if found is not None:
            return found
        prefix, slash, model = name.partition("/")
        if not slash or not model:
            return None
        by_model = self._by_model.get(model)
        if by_model is not None and _same_provider(by_model, prefix):
            return by_model
        return self._from_wildcard(name, prefix, model)

    def _from_wildcard(self, name: str, prefix: str, model: str) -> Provider | None:
        cached = self._wildcard_hits.get(name)
        if cached is not None:
            return cached
        wildcard = self._wildcards.get(prefix)
        if wildcard is None:
            known = parse_provider_id(prefix)
            wildcard = self._wildcards.get(known.value) if known is not None else None
        if wildcard is None:
            return None
        entry = msgspec.structs.replace(wildcard, name=name, model=model, wildcard=False)
        if len(self._wildcard_hits) >= _WILDCARD_CACHE_LIMIT:
            self._wildcard_hits.clear()
        self._wildcard_hits[name] = entry
        return entry

    def resolve_alias(self, name: str) -> str | None:
        """The target of alias `name` (aliases are one level), or None if it is no alias."""
        return self._aliases.get(name)

    def resolve_model(self, name: str) -> ResolvedProvider | None:
        """Apply a model alias, then resolve; `"default"` names the default provider."""
        if name == "default":
            return self.default
        return self.resolve(self._aliases.get(name, name))

    @property
    def providers(self) -> tuple[ResolvedProvider, ...]:
        """Every configured provider (internal ones included), wildcards unexpanded."""
        return tuple(self._by_name.values())

    def models_listing(self) -> dict[str, Any]:
        """The `/v1/models` body: non-internal models, wildcards expanded over the catalog,
        then the aliases (each with `alias_of`, the canonical name of its target)."""
        return {"object": "list", "data": list(self._entries().values())}

    def model_entry(
        self, model_id: str, max_length: int = DEFAULT_MAX_MODEL_ID_LENGTH
    ) -> ModelEntry | None:
        """The `/v1/models/{id}` body for `model_id`, or None when no model answers to it
        (an id longer than `max_length` never does).

        A listed model or alias gives its listing entry; any other name the lookup resolves
        (a bare id, a wildcard model) gives an entry with the name as asked.
        """
        if not model_id or len(model_id) > max_length:
            return None
        entry = self._entries().get(model_id)
        if entry is not None:
            return entry
        provider = self.resolve(model_id)
        if provider is None or provider.internal:
            return None
        return _entry(model_id, provider)

    def _entries(self) -> dict[str, ModelEntry]:
        """Listing entries by id, built on first use (a catalog expansion is large)."""
        if self._entries_by_id is None:
            entries = {provider.name: _entry(provider.name, provider) for provider in self._listing}
            for alias, target in self._aliases.items():
                provider = self.resolve(target)
                if provider is not None and not provider.internal:
                    entries[alias] = {**_entry(alias, provider), "alias_of": provider.name}
            self._entries_by_id = entries
        return self._entries_by_id


def _entry(model_id: str, provider: Provider) -> ModelEntry:
    """One model object in OpenAI's shape."""
    return {
        "id": model_id,
        "object": "model",
        "created": 0,
        "owned_by": provider.provider_id.value,
    }


def _same_provider(provider: Provider, prefix: str) -> bool:
    """True when `prefix` names the provider of `provider`'s model string (aliases, any case).

    A custom prefix (`my_server/m` with `provider_interface: openai`) only answers to itself,
    so `openai/m` does not reach the custom server.
    """
    if provider.prefix == prefix:
        return True
    known = parse_provider_id(prefix)
    return known is not None and known is parse_provider_id(provider.prefix)
