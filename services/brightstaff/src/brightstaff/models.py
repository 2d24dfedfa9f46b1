"""The configured models as the LLM path sees them: alias and provider lookup, the
`/v1/models` listing, and metric labels that stay within the configured names."""

from __future__ import annotations

import msgspec

from plano_common.clip import clip
from plano_common.config.types import PlanoConfig, Provider
from plano_common.errors import BadRequest, ModelNotFound
from plano_common.metric_labels import ModelLabels
from plano_common.model_ids import check_model_id
from plano_common.providers import ProviderTable

__all__ = ["Models"]

RESOLVED_CACHE_LIMIT = 1024
"""Model names whose provider is remembered (the cache is emptied when full)."""


class Models:
    """Lookups over the providers of a config."""

    def __init__(self, config: PlanoConfig) -> None:
        self.table = ProviderTable(config)
        self._known = sorted({p.name for p in config.model_providers if not p.internal})
        listing = self.table.models_listing()
        self.listing_body = msgspec.json.encode(listing)
        configured = [(p.name, p.model) for p in config.model_providers if not p.wildcard]
        for item in listing["data"]:
            found = self.table.resolve(item["id"])
            if found is not None:
                configured.append((found.name, found.model))
        self._labels = ModelLabels(configured, wildcard_models=0)
        self._resolved: dict[str, Provider] = {}

    def resolve(self, name: str) -> Provider:
        """The provider serving `name` (an alias, a provider name, `provider/model`, a bare
        model id, a wildcard match or `default`). 400 for a malformed name, 404
        `ModelNotFound` (naming the model) for an unknown one."""
        if not name:
            if self.table.default is not None:
                return self.table.default
            raise BadRequest(
                "the request names no model and no default provider is configured; "
                "send `model` or mark one model_providers entry `default: true`",
                param="model",
            )
        found = self._resolved.get(name)
        if found is not None:
            return found
        check_model_id(name)
        found = self.table.resolve_model(name)
        if found is None:
            raise ModelNotFound(clip(name), self._known)
        if len(self._resolved) >= RESOLVED_CACHE_LIMIT:
            self._resolved.clear()
        self._resolved[name] = found
        return found

    def alias_target(self, name: str) -> str:
        """The target of alias `name`, or `name` itself."""
        return self.table.resolve_alias(name) or name

    def label(self, provider: Provider) -> tuple[str, str]:
        """(provider, model) metric labels: the configured names; a model only a wildcard
        matched is labeled `<prefix>/*`, `other`, so a client never picks a label."""
        return self._labels.labels(provider.name, provider.model)
