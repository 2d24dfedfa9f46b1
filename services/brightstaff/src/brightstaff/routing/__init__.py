"""Preference routing, session affinity and the routing API of brightstaff."""

from __future__ import annotations

from opentelemetry.trace import Tracer

from brightstaff.metrics import BrightstaffMetrics
from brightstaff.routing.latency import LatencyBook
from brightstaff.routing.metrics import RoutingMetrics
from brightstaff.routing.prices import PriceBook
from brightstaff.routing.router import PreferenceRouter, RouterSettings
from brightstaff.routing.session import SessionKeeper
from brightstaff.routing.store import BindingStore, MemoryBindingStore, RedisBindingStore
from brightstaff.seams import ChatCompleter
from plano_common.config.document import CostMetricsEntry
from plano_common.config.types import PlanoConfig

__all__ = ["PreferenceRouter", "RouterSettings", "build_router", "router_settings"]


def router_settings(config: PlanoConfig) -> RouterSettings:
    """The routing knobs of a config."""
    routing = config.routing
    return RouterSettings(
        routing_model=config.overrides.llm_routing_model,
        preferences=config.routing_preferences,
        context_length=config.overrides.orchestrator_model_context_length,
        timeout_seconds=routing.orchestrator_timeout_seconds,
        route_on_user_only=routing.route_on_user_only,
        budget=routing.routing_budget,
        tenant_header=(routing.session_cache.tenant_header or "").lower() or None,
        implicit_affinity=config.prompt_caching.session_affinity,
    )


def _configured_models(config: PlanoConfig) -> set[str]:
    """Every model name the config spells out (metric labels stay within this set)."""
    names: set[str] = set(config.model_aliases) | set(config.model_aliases.values())
    for provider in config.model_providers:
        if not provider.wildcard:
            names.update((provider.name, provider.model, provider.full_model))
    for preference in config.routing_preferences:
        names.update(preference.models)
    return names


def _canonical_models(config: PlanoConfig) -> dict[str, str]:
    """Each spelling of a configured model mapped to its ``provider/model`` form."""
    canonical = {m: m for p in config.routing_preferences for m in p.models}
    for provider in config.model_providers:
        if not provider.wildcard:
            for spelling in (provider.full_model, provider.name, provider.model):
                canonical.setdefault(spelling, provider.full_model)
    return canonical


def build_router(
    config: PlanoConfig,
    completer: ChatCompleter,
    metrics: BrightstaffMetrics | None = None,
    *,
    tracer: Tracer | None = None,
) -> PreferenceRouter:
    """The `Router` step of a config (always built: inline preferences may come per request)."""
    models = _configured_models(config)
    routing_metrics = RoutingMetrics(metrics, models)
    cache = config.routing.session_cache
    store: BindingStore
    if cache.type == "redis" and cache.url:
        redis_store = RedisBindingStore(cache.url)
        store, latency = redis_store, LatencyBook(_canonical_models(config), redis_store.client)
    else:
        store = MemoryBindingStore(config.routing.session_max_entries)
        latency = LatencyBook(_canonical_models(config))
    sources = [s for s in config.model_metrics_sources if isinstance(s, CostMetricsEntry)]
    prices = PriceBook(sources)
    ttl = config.routing.session_ttl_seconds
    if config.prompt_caching.session_affinity:
        ttl = config.prompt_caching.session_ttl_seconds
    keeper = SessionKeeper(store, ttl, prices, routing_metrics)
    return PreferenceRouter(
        router_settings(config), completer, keeper, prices, latency, routing_metrics, tracer
    )
