"""Bounded Prometheus label values for (provider, model) pairs.

A label value must come from a bounded set, or a client spraying random model names through
a wildcard provider grows ``/metrics`` (and memory) without limit. ``ModelLabels`` keeps:

- configured pairs as they are;
- for a pair no configured entry names (a ``provider/*`` wildcard match, whose provider name
  is ``<prefix>/<model>``), the pair itself for the first ``wildcard_models`` distinct models
  of that prefix, then ``(<prefix>/*, other)``;
- at most ``MAX_WILDCARD_PREFIXES`` prefixes (further ones become ``other/*``);
- every value cut to ``max_length`` characters.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "DEFAULT_WILDCARD_MODELS",
    "MAX_LABEL_LENGTH",
    "MAX_WILDCARD_PREFIXES",
    "OTHER_LABEL",
    "ModelLabels",
]

OTHER_LABEL = "other"
DEFAULT_WILDCARD_MODELS = 20
MAX_LABEL_LENGTH = 128
MAX_WILDCARD_PREFIXES = 64


class ModelLabels:
    """Maps a served (provider, model) pair to its bounded label pair."""

    __slots__ = ("_admitted", "_configured", "_max_length", "_wildcard_models")

    def __init__(
        self,
        configured: Iterable[tuple[str, str]] = (),
        *,
        wildcard_models: int = DEFAULT_WILDCARD_MODELS,
        max_length: int = MAX_LABEL_LENGTH,
    ) -> None:
        self._max_length = max_length
        self._wildcard_models = wildcard_models
        self._configured = {
            (provider, model): (provider[:max_length], model[:max_length])
            for provider, model in configured
        }
        self._admitted: dict[str, dict[str, tuple[str, str]]] = {}

    def labels(self, provider: str, model: str) -> tuple[str, str]:
        """The (provider, model) label values of a served pair."""
        found = self._configured.get((provider, model))
        if found is not None:
            return found
        prefix = provider.partition("/")[0]
        models = self._admitted.get(prefix)
        if models is None:
            if len(self._admitted) >= MAX_WILDCARD_PREFIXES:
                return (f"{OTHER_LABEL}/*", OTHER_LABEL)
            models = self._admitted[prefix] = {}
        pair = models.get(model)
        if pair is None:
            if len(models) >= self._wildcard_models:
                return (f"{prefix[: self._max_length - 2]}/*", OTHER_LABEL)
            pair = models[model] = (provider[: self._max_length], model[: self._max_length])
        return pair

    def model_label(self, provider: str, model: str) -> str:
        """The model label value of a served pair."""
        return self.labels(provider, model)[1]
