"""The `ratelimits` section, normalized: model ids as sent upstream, enforced selectors checked."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from plano_common.config.document import RateLimitEntry
from plano_common.config.errors import ConfigError, format_path, quote
from plano_common.config.types import RateLimit

__all__ = ["normalize_ratelimits"]


def normalize_ratelimits(
    entries: Sequence[RateLimitEntry],
    model_id: Callable[[str], str | None],
    warnings: list[str],
) -> tuple[RateLimit, ...]:
    """Rate limits keyed by the model id sent upstream (what the gateway matches on).

    `model_id` maps a configured name (`openai/gpt-4o`, a provider name) to that id, None when
    the name is not configured. A selector value `"*"` (which the reference config documents as
    "any value") means a bucket per header value. Raises ConfigError for an enforced selector
    that cannot work (see `_check_enforced`).
    """
    result: list[RateLimit] = []
    for index, entry in enumerate(entries):
        model = model_id(entry.model)
        if model is None:
            problem = (
                "is a wildcard, so this limit never applies; give one limit per model"
                if entry.model.endswith("*")
                else "is not a configured model, so this limit never applies"
            )
            warnings.append(
                f"{format_path(('ratelimits', index, 'model'))}: {quote(entry.model)} {problem}"
            )
        selector = entry.selector
        value = None if selector.value == "*" else selector.value
        result.append(
            RateLimit(
                model=entry.model if model is None else model,
                selector_key=selector.key,
                selector_value=value,
                tokens=entry.limit.tokens,
                unit=entry.limit.unit,
                enforce=selector.enforce,
                default_value=selector.default,
            )
        )
        _check_default(result[-1], index)
    _check_enforced(result, warnings)
    return tuple(result)


def _check_default(limit: RateLimit, index: int) -> None:
    """`default` names the bucket of requests without the header: only for an enforced
    selector that has a bucket per value."""
    if limit.default_value is None:
        return
    path = ("ratelimits", index, "selector", "default")
    if not limit.enforce:
        raise ConfigError(
            "a default bucket needs `enforce: true` (without it a request that does not name "
            "the selector is never limited)",
            path=path,
        )
    if limit.selector_value is not None:
        raise ConfigError(
            "a default bucket belongs on the selector without `value` (the bucket per value)",
            path=path,
        )


def _check_enforced(limits: Sequence[RateLimit], warnings: list[str]) -> None:
    """A model's enforced rules must read one header; client-selected rules of that model are
    never consulted, which is worth a warning."""
    enforced_key: dict[str, tuple[int, str]] = {}
    for index, limit in enumerate(limits):
        if not limit.enforce:
            continue
        key = limit.selector_key.lower()
        first = enforced_key.setdefault(limit.model, (index, key))
        if first[1] != key:
            raise ConfigError(
                f"model {quote(limit.model)} already has an enforced selector on header "
                f"{quote(first[1])} ({format_path(('ratelimits', first[0]))}); a model's "
                "enforced limits must all use the same header",
                path=("ratelimits", index, "selector", "key"),
            )
    for index, limit in enumerate(limits):
        if not limit.enforce and limit.model in enforced_key:
            warnings.append(
                f"{format_path(('ratelimits', index))}: model {quote(limit.model)} has an "
                "enforced selector, so this limit (chosen by x-arch-ratelimit-selector) never "
                "applies"
            )
