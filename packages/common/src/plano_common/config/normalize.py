"""From a decoded ConfigDocument to the normalized PlanoConfig: defaults and cross-references."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from urllib.parse import urlsplit

from hermesllm.catalog import models_for
from hermesllm.provider_ids import parse_provider_id
from plano_common.config.document import (
    ConfigDocument,
    CostMetricsEntry,
    LatencyMetricsEntry,
    ModelProviderEntry,
    OverridesEntry,
    PromptCachingEntry,
    PromptTargetEntry,
    RoutingEntry,
    RoutingPreferenceEntry,
    StateStorageEntry,
    TracingEntry,
)
from plano_common.config.durations import parse_duration
from plano_common.config.errors import ConfigError, ConfigPath, format_path, quote
from plano_common.config.normalize_endpoints import (
    normalize_agents_and_filters,
    normalize_endpoints,
)
from plano_common.config.normalize_listeners import normalize_listeners
from plano_common.config.normalize_providers import (
    ProviderSet,
    internal_providers,
    migrate_inline_preferences,
)
from plano_common.config.normalize_ratelimits import normalize_ratelimits
from plano_common.config.types import (
    Overrides,
    PlanoConfig,
    PromptCaching,
    PromptTarget,
    PromptTargetEndpoint,
    Routing,
    RoutingBudget,
    RoutingPreference,
    SessionCache,
    SpanAttributes,
    StateStorage,
    Tracing,
)

__all__ = ["DEFAULT_OTLP_ENDPOINT", "ModelNames", "normalize"]

DEFAULT_OTLP_ENDPOINT = "http://localhost:4317"


class ModelNames:
    """Which model names a config can route to (for aliases, preferences and rate limits)."""

    def __init__(self, providers: ProviderSet) -> None:
        self.keys = set(providers.model_keys) | {p.name for p in providers.providers}
        self.wildcards = {p.prefix for p in providers.providers if p.wildcard}
        self._model_ids: dict[str, str] = {}
        for provider in providers.providers:
            if not provider.wildcard:
                for name in (provider.name, provider.full_model):
                    self._model_ids.setdefault(name, provider.model)
        self._bare = {p.model for p in providers.providers if not p.wildcard}
        for prefix in self.wildcards:
            known = parse_provider_id(prefix)
            self._bare.update(models_for(known) if known is not None else ())

    def known(self, model: str) -> bool:
        """True when `model` names a configured provider, model or wildcard-covered model."""
        return model in self.keys or self.model_id(model) is not None

    def model_id(self, model: str) -> str | None:
        """The model id sent upstream for `model` (what rate limits match), None if unknown."""
        if model in self._bare:
            return model
        if model in self._model_ids:
            return self._model_ids[model]
        prefix, slash, rest = model.partition("/")
        return rest if slash and rest not in ("", "*") and prefix in self.wildcards else None

    def listing(self) -> str:
        """A short list of configured model names for error messages."""
        names = sorted(self.keys | {f"{prefix}/*" for prefix in self.wildcards})
        shown = ", ".join(names[:12])
        return shown + (", ..." if len(names) > 12 else "")


def normalize(
    document: ConfigDocument, environ: Mapping[str, str], source_path: str | None
) -> PlanoConfig:
    """Validate cross-references, apply defaults and build the normalized config."""
    warnings: list[str] = []
    entries, section = _provider_entries(document, warnings)
    providers = ProviderSet()
    for index, entry in enumerate(entries):
        providers.add(entry, (section, index), environ)
    warnings.extend(providers.warnings)
    names = ModelNames(providers)

    preferences = migrate_inline_preferences(
        entries, _preferences(document.routing_preferences or [], names), warnings
    )
    all_providers = [
        *providers.providers,
        *internal_providers(providers.providers, document.overrides, bool(preferences)),
    ]
    endpoints = normalize_endpoints(document.endpoints or {})
    agents, filters = normalize_agents_and_filters(
        document.agents or [], document.filters or [], endpoints
    )
    listeners = normalize_listeners(
        document.listeners,
        {item.id for item in agents} | {item.id for item in filters},
        {item.id for item in agents},
        warnings,
    )
    routing = _routing(document.routing)
    sources = tuple(document.model_metrics_sources or ())
    _check_metric_sources(preferences, routing, sources, warnings)
    return PlanoConfig(
        version=document.version,
        listeners=listeners,
        model_providers=tuple(all_providers),
        model_aliases=_aliases(document, names),
        endpoints=endpoints,
        agents=agents,
        filters=filters,
        overrides=_overrides(document.overrides),
        prompt_caching=_prompt_caching(document.prompt_caching, routing),
        system_prompt=document.system_prompt,
        prompt_targets=_prompt_targets(document.prompt_targets or [], endpoints.keys()),
        prompt_guards=document.prompt_guards,
        ratelimits=normalize_ratelimits(document.ratelimits or [], names.model_id, warnings),
        tracing=_tracing(document.tracing, environ),
        routing=routing,
        routing_preferences=tuple(preferences),
        model_metrics_sources=sources,
        state_storage=_state_storage(document.state_storage),
        mode=document.mode,
        source_path=source_path,
        warnings=tuple(warnings),
    )


def _provider_entries(
    document: ConfigDocument, warnings: list[str]
) -> tuple[list[ModelProviderEntry], str]:
    if document.llm_providers is not None and document.model_providers is not None:
        raise ConfigError(
            "give model_providers or the deprecated llm_providers, not both; "
            "move these entries under model_providers",
            path=("llm_providers",),
        )
    if document.llm_providers is not None:
        warnings.append("llm_providers is deprecated; rename it to model_providers")
        return document.llm_providers, "llm_providers"
    if not document.model_providers:
        warnings.append("no model_providers are configured; only internal models are available")
    return document.model_providers or [], "model_providers"


def _preferences(
    entries: Sequence[RoutingPreferenceEntry], names: ModelNames
) -> list[RoutingPreference]:
    seen: set[str] = set()
    result: list[RoutingPreference] = []
    for index, entry in enumerate(entries):
        path: ConfigPath = ("routing_preferences", index)
        if entry.name in seen:
            raise ConfigError(
                f"duplicate routing preference name {quote(entry.name)}; names must be unique",
                path=(*path, "name"),
            )
        seen.add(entry.name)
        for position, model in enumerate(entry.models):
            if not names.known(model):
                raise ConfigError(
                    f"{quote(model)} is not a configured model; add it to model_providers "
                    f"(configured: {names.listing()})",
                    path=(*path, "models", position),
                )
        prefer = entry.selection_policy.prefer if entry.selection_policy else None
        result.append(
            RoutingPreference(
                name=entry.name,
                description=entry.description,
                models=tuple(entry.models),
                prefer=prefer or "none",
            )
        )
    return result


def _aliases(document: ConfigDocument, names: ModelNames) -> dict[str, str]:
    aliases = document.model_aliases or {}
    for alias, entry in aliases.items():
        path: ConfigPath = ("model_aliases", alias, "target")
        if names.known(entry.target):
            continue
        if entry.target in aliases:
            raise ConfigError(
                f"{quote(entry.target)} is another alias; aliases do not chain, so point "
                "this one at a configured model",
                path=path,
            )
        raise ConfigError(
            f"{quote(entry.target)} is not a configured model (configured: {names.listing()})",
            path=path,
        )
    return {alias: entry.target for alias, entry in aliases.items()}


def _overrides(entry: OverridesEntry | None) -> Overrides:
    given = entry or OverridesEntry()
    defaults = Overrides()
    timeout = given.upstream_connect_timeout
    return Overrides(
        prompt_target_intent_matching_threshold=given.prompt_target_intent_matching_threshold,
        optimize_context_window=bool(given.optimize_context_window),
        use_agent_orchestrator=bool(given.use_agent_orchestrator),
        disable_signals=bool(given.disable_signals),
        upstream_connect_timeout_seconds=(
            defaults.upstream_connect_timeout_seconds
            if timeout is None
            else parse_duration(timeout, ("overrides", "upstream_connect_timeout"))
        ),
        upstream_tls_ca_path=given.upstream_tls_ca_path or None,
        llm_routing_model=given.llm_routing_model or defaults.llm_routing_model,
        agent_orchestration_model=(
            given.agent_orchestration_model or defaults.agent_orchestration_model
        ),
        orchestrator_model_context_length=(
            given.orchestrator_model_context_length or defaults.orchestrator_model_context_length
        ),
    )


def _routing(entry: RoutingEntry | None) -> Routing:
    given = entry or RoutingEntry()
    defaults = Routing()
    cache = given.session_cache
    session_cache = SessionCache()
    if cache is not None:
        cache_type = cache.type or "memory"
        if cache_type == "redis":
            _check_redis_url(cache.url, ("routing", "session_cache", "url"))
        session_cache = SessionCache(
            type=cache_type,
            url=cache.url if cache_type == "redis" else None,
            tenant_header=cache.tenant_header or None,
        )
    budget = given.routing_budget
    return Routing(
        llm_provider=given.llm_provider,
        model=given.model,
        session_ttl_seconds=given.session_ttl_seconds or defaults.session_ttl_seconds,
        session_max_entries=given.session_max_entries or defaults.session_max_entries,
        session_cache=session_cache,
        routing_budget=(
            None
            if budget is None
            else RoutingBudget(
                max_switch_spend_pct=budget.max_switch_spend_pct,
                replenish_on_rebind=(
                    True if budget.replenish_on_rebind is None else budget.replenish_on_rebind
                ),
                cache_read_discount=(
                    0.1 if budget.cache_read_discount is None else budget.cache_read_discount
                ),
                record_counterfactual=bool(budget.record_counterfactual),
            )
        ),
        route_on_user_only=bool(given.route_on_user_only),
        orchestrator_timeout_seconds=(
            defaults.orchestrator_timeout_seconds
            if given.orchestrator_timeout is None
            else parse_duration(given.orchestrator_timeout, ("routing", "orchestrator_timeout"))
        ),
    )


def _check_redis_url(url: str | None, path: ConfigPath) -> None:
    if not url:
        raise ConfigError(
            'required when type is redis, e.g. url: "redis://localhost:6379"', path=path
        )
    if url.partition("://")[0] not in {"redis", "rediss", "unix"}:
        raise ConfigError(
            f'{quote(url)} must be a redis:// or rediss:// URL, e.g. "redis://localhost:6379"',
            path=path,
        )


def _prompt_caching(entry: PromptCachingEntry | None, routing: Routing) -> PromptCaching:
    if entry is None or not entry.enabled:
        return PromptCaching(session_ttl_seconds=routing.session_ttl_seconds)
    return PromptCaching(
        enabled=True,
        session_affinity=entry.session_affinity is not False,
        inject_cache_control=entry.inject_cache_control is not False,
        min_prefix_tokens=entry.min_prefix_tokens or PromptCaching().min_prefix_tokens,
        session_ttl_seconds=entry.session_ttl_seconds or routing.session_ttl_seconds,
    )


def _prompt_targets(
    entries: Sequence[PromptTargetEntry], endpoint_names: Collection[str]
) -> tuple[PromptTarget, ...]:
    known = set(endpoint_names)
    names: set[str] = set()
    default_at: ConfigPath | None = None
    result: list[PromptTarget] = []
    for index, entry in enumerate(entries):
        path: ConfigPath = ("prompt_targets", index)
        if entry.name in names:
            raise ConfigError(
                f"duplicate prompt target name {quote(entry.name)}", path=(*path, "name")
            )
        names.add(entry.name)
        if entry.default:
            if default_at is not None:
                raise ConfigError(
                    f"only one prompt target can be the default and {format_path(default_at)} "
                    "already is",
                    path=(*path, "default"),
                )
            default_at = path
        parameters = entry.parameters or []
        seen: set[str] = set()
        for position, parameter in enumerate(parameters):
            if parameter.name in seen:
                raise ConfigError(
                    f"duplicate parameter {quote(parameter.name)}",
                    path=(*path, "parameters", position, "name"),
                )
            seen.add(parameter.name)
        endpoint = None
        if entry.endpoint is not None:
            if entry.endpoint.name not in known:
                listing = ", ".join(sorted(known)) or "none defined"
                raise ConfigError(
                    f"unknown endpoint {quote(entry.endpoint.name)}; add it under endpoints "
                    f"(known: {listing})",
                    path=(*path, "endpoint", "name"),
                )
            endpoint = PromptTargetEndpoint(
                name=entry.endpoint.name,
                path=entry.endpoint.path,
                http_method=entry.endpoint.http_method or "GET",
                http_headers=dict(entry.endpoint.http_headers or {}),
            )
        result.append(
            PromptTarget(
                name=entry.name,
                description=entry.description,
                default=bool(entry.default),
                auto_llm_dispatch_on_response=entry.auto_llm_dispatch_on_response is not False,
                parameters=tuple(parameters),
                endpoint=endpoint,
                system_prompt=entry.system_prompt,
            )
        )
    return tuple(result)


def _tracing(entry: TracingEntry | None, environ: Mapping[str, str]) -> Tracing | None:
    if entry is None:
        return None
    endpoint = (
        entry.opentracing_grpc_endpoint
        or environ.get("OTEL_TRACING_GRPC_ENDPOINT")
        or DEFAULT_OTLP_ENDPOINT
    )
    path: ConfigPath = ("tracing", "opentracing_grpc_endpoint")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"{quote(endpoint)} is not a valid URL", path=path) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f'{quote(endpoint)} must be an http:// URL, e.g. "http://localhost:4317"', path=path
        )
    if parts.path not in {"", "/"}:
        raise ConfigError(
            f"{quote(endpoint)} must not have a path (an OTLP gRPC endpoint is host:port)",
            path=path,
        )
    attributes = entry.span_attributes
    return Tracing(
        random_sampling=100 if entry.random_sampling is None else entry.random_sampling,
        trace_arch_internal=bool(entry.trace_arch_internal),
        opentracing_grpc_endpoint=endpoint,
        span_attributes=(
            SpanAttributes()
            if attributes is None
            else SpanAttributes(
                header_prefixes=tuple(attributes.header_prefixes or ()),
                static=dict(attributes.static or {}),
            )
        ),
        exporters=tuple(entry.exporters or ()),
    )


def _state_storage(entry: StateStorageEntry | None) -> StateStorage | None:
    if entry is None:
        return None
    _only_for(entry, "memory", ("max_entries", "ttl_seconds"))
    _only_for(entry, "postgres", ("retention_days", "timeout", "synchronous_commit", "cache_mb"))
    if entry.type == "memory":
        defaults = StateStorage(type="memory")
        return StateStorage(
            type="memory",
            max_entries=entry.max_entries or defaults.max_entries,
            ttl_seconds=entry.ttl_seconds or defaults.ttl_seconds,
        )
    url = entry.connection_string
    path: ConfigPath = ("state_storage", "connection_string")
    if not url:
        raise ConfigError(
            'required when type is postgres, e.g. "postgresql://user:$DB_PASSWORD@host:5432/db"',
            path=path,
        )
    if url.partition("://")[0] not in {"postgres", "postgresql"} and "=" not in url:
        raise ConfigError("must be a postgresql:// URL or a key=value connection string", path=path)
    timeout = entry.timeout
    return StateStorage(
        type="postgres",
        connection_string=url,
        retention_days=entry.retention_days,
        synchronous_commit=bool(entry.synchronous_commit),
        cache_mb=StateStorage(type="postgres").cache_mb
        if entry.cache_mb is None
        else entry.cache_mb,
        timeout_seconds=(
            StateStorage(type="postgres").timeout_seconds
            if timeout is None
            else parse_duration(timeout, ("state_storage", "timeout"))
        ),
    )


def _only_for(entry: StateStorageEntry, kind: str, keys: Sequence[str]) -> None:
    if entry.type == kind:
        return
    for key in keys:
        if getattr(entry, key) is not None:
            raise ConfigError(f"applies to type {kind} only", path=("state_storage", key))


def _check_metric_sources(
    preferences: Sequence[RoutingPreference],
    routing: Routing,
    sources: Sequence[CostMetricsEntry | LatencyMetricsEntry],
    warnings: list[str],
) -> None:
    has_cost = any(isinstance(s, CostMetricsEntry) for s in sources)
    warnings.extend(
        f"routing preference {quote(preference.name)} prefers cheapest but no cost "
        "source is configured in model_metrics_sources; config order is used"
        for preference in preferences
        if preference.prefer == "cheapest" and not has_cost
    )
    if routing.routing_budget is not None and not has_cost:
        warnings.append(
            "routing.routing_budget needs a cost source in model_metrics_sources to price switches"
        )
