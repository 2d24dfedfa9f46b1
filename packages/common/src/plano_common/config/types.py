"""The normalized Plano config the services consume: defaults applied, references resolved."""

from __future__ import annotations

from typing import Literal

import msgspec

from hermesllm.provider_ids import ProviderId
from plano_common.config.document import (
    CostMetricsEntry,
    LatencyMetricsEntry,
    ParameterEntry,
    PosthogExporterEntry,
    PromptGuardsEntry,
)

__all__ = [
    "Agent",
    "AwsSettings",
    "Endpoint",
    "Filter",
    "Listener",
    "ListenerAgent",
    "ListenerType",
    "MetricsSource",
    "Overrides",
    "PlanoConfig",
    "PromptCaching",
    "PromptTarget",
    "PromptTargetEndpoint",
    "Protocol",
    "Provider",
    "RateLimit",
    "Routing",
    "RoutingBudget",
    "RoutingPreference",
    "SessionCache",
    "SpanAttributes",
    "StateStorage",
    "Tracing",
]

ListenerType = Literal["model", "prompt", "agent"]
Protocol = Literal["http", "https"]
MetricsSource = CostMetricsEntry | LatencyMetricsEntry


def _masked(value: str | None) -> str | None:
    return None if value is None else "***"


class AwsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Region and optional SigV4 credentials of an Amazon Bedrock provider."""

    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"AwsSettings(region={self.region!r}, access_key_id={self.access_key_id!r}, "
            f"secret_access_key={_masked(self.secret_access_key)!r}, "
            f"session_token={_masked(self.session_token)!r})"
        )


class Provider(msgspec.Struct, frozen=True, kw_only=True):
    """A model provider ready to call: identity, upstream address, auth and extra headers.

    `name` is the canonical name (the user's `name`, else the model string as written);
    `model` is the model id sent upstream (`"*"` for a wildcard entry); `prefix` is the
    provider token of the model string (`openrouter` in `openrouter/anthropic/claude-x`).
    """

    name: str
    provider_id: ProviderId
    prefix: str
    model: str
    scheme: Protocol
    host: str
    port: int
    path_prefix: str | None = None
    access_key: str | None = None
    passthrough_auth: bool = False
    http_host: str | None = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    default: bool = False
    internal: bool = False
    wildcard: bool = False
    base_url: str | None = None
    aws: AwsSettings | None = None

    @property
    def full_model(self) -> str:
        """The `provider/model` string of this entry, e.g. `openai/gpt-4o`."""
        return f"{self.prefix}/{self.model}"

    def __repr__(self) -> str:
        return (
            f"Provider(name={self.name!r}, provider_id={self.provider_id.value!r}, "
            f"model={self.model!r}, upstream={self.scheme}://{self.host}:{self.port}"
            f"{self.path_prefix or ''}, access_key={_masked(self.access_key)!r}, "
            f"passthrough_auth={self.passthrough_auth}, default={self.default}, "
            f"internal={self.internal})"
        )


class ListenerAgent(msgspec.Struct, frozen=True, kw_only=True):
    """An agent offered by an agent listener."""

    id: str
    description: str | None = None
    default: bool = False
    input_filters: tuple[str, ...] = ()


class Listener(msgspec.Struct, frozen=True, kw_only=True):
    """Where a Plano component accepts client traffic."""

    name: str
    type: ListenerType
    address: str
    port: int
    timeout_seconds: float
    max_retries: int | None = None
    router: str | None = None
    agents: tuple[ListenerAgent, ...] = ()
    input_filters: tuple[str, ...] = ()
    output_filters: tuple[str, ...] = ()


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    """An upstream service: from `endpoints`, or derived from an agent's or filter's url."""

    name: str
    host: str
    port: int
    protocol: Protocol = "http"
    path_prefix: str | None = None
    connect_timeout_seconds: float | None = None
    http_host: str | None = None
    prefix_affinity: bool = False


class Agent(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP agent."""

    id: str
    url: str
    timeout_seconds: float | None = None
    """Bound of one call to the agent (None: the listener's timeout)."""


class Filter(msgspec.Struct, frozen=True, kw_only=True):
    """A filter applied to requests or responses."""

    id: str
    url: str
    type: Literal["mcp", "http"] = "mcp"
    transport: Literal["streamable-http"] = "streamable-http"
    tool: str = ""
    timeout_seconds: float | None = None
    """Bound of one call to the filter (None: the default filter timeout)."""


class Overrides(msgspec.Struct, frozen=True, kw_only=True):
    """Global behavior overrides with their defaults applied."""

    prompt_target_intent_matching_threshold: float | None = None
    optimize_context_window: bool = False
    use_agent_orchestrator: bool = False
    disable_signals: bool = False
    upstream_connect_timeout_seconds: float = 5.0
    upstream_tls_ca_path: str | None = None
    llm_routing_model: str = "Plano-Orchestrator"
    agent_orchestration_model: str = "Plano-Orchestrator"
    orchestrator_model_context_length: int = 8192


class PromptCaching(msgspec.Struct, frozen=True, kw_only=True):
    """Effective prompt-caching settings (every feature off unless `enabled`)."""

    enabled: bool = False
    session_affinity: bool = False
    inject_cache_control: bool = False
    min_prefix_tokens: int = 1024
    session_ttl_seconds: int = 600


class PromptTargetEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """Where a prompt target's call goes."""

    name: str
    path: str
    http_method: Literal["GET", "POST"] = "GET"
    http_headers: dict[str, str] = msgspec.field(default_factory=dict)


class PromptTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A function the prompt gateway can call."""

    name: str
    description: str
    default: bool = False
    auto_llm_dispatch_on_response: bool = True
    parameters: tuple[ParameterEntry, ...] = ()
    endpoint: PromptTargetEndpoint | None = None
    system_prompt: str | None = None


class RateLimit(msgspec.Struct, frozen=True, kw_only=True):
    """A token budget for one model, keyed by a request header (and optionally one value).

    `enforce`: the header is read on every request (not only when the client names it in
    `x-arch-ratelimit-selector`); `default_value`: the bucket of requests without the header."""

    model: str
    selector_key: str
    selector_value: str | None
    tokens: int
    unit: Literal["second", "minute", "hour", "day"]
    enforce: bool = False
    default_value: str | None = None


class SpanAttributes(msgspec.Struct, frozen=True, kw_only=True):
    """Extra span attributes."""

    header_prefixes: tuple[str, ...] = ()
    static: dict[str, str] = msgspec.field(default_factory=dict)


class Tracing(msgspec.Struct, frozen=True, kw_only=True):
    """OpenTelemetry tracing (present only when the config has a `tracing` section)."""

    random_sampling: int = 100
    trace_arch_internal: bool = False
    opentracing_grpc_endpoint: str = "http://localhost:4317"
    span_attributes: SpanAttributes = msgspec.field(default_factory=SpanAttributes)
    exporters: tuple[PosthogExporterEntry, ...] = ()


class SessionCache(msgspec.Struct, frozen=True, kw_only=True):
    """Backend of the routing affinity cache."""

    type: Literal["memory", "redis"] = "memory"
    url: str | None = None
    tenant_header: str | None = None


class RoutingBudget(msgspec.Struct, frozen=True, kw_only=True):
    """Per-session cost gate on model switching."""

    max_switch_spend_pct: float
    replenish_on_rebind: bool = True
    cache_read_discount: float = 0.1
    record_counterfactual: bool = False


class Routing(msgspec.Struct, frozen=True, kw_only=True):
    """Routing and model-affinity settings with defaults applied."""

    llm_provider: str | None = None
    model: str | None = None
    session_ttl_seconds: int = 600
    session_max_entries: int = 10000
    session_cache: SessionCache = msgspec.field(default_factory=SessionCache)
    routing_budget: RoutingBudget | None = None
    route_on_user_only: bool = False
    orchestrator_timeout_seconds: float = 2.0
    """The longest a routing call to the orchestrator model may take before falling back."""


class RoutingPreference(msgspec.Struct, frozen=True, kw_only=True):
    """A named task category with an ordered pool of candidate models (`provider/model`)."""

    name: str
    description: str
    models: tuple[str, ...]
    prefer: Literal["cheapest", "fastest", "none"] = "none"


class StateStorage(msgspec.Struct, frozen=True, kw_only=True):
    """Conversation state backend for `/v1/responses`."""

    type: Literal["memory", "postgres"]
    connection_string: str | None = None
    max_entries: int = 10000
    """Memory store: conversations kept; the least recently used is dropped beyond it."""
    ttl_seconds: int = 86400
    """Memory store: a conversation not used for this long is dropped."""
    retention_days: int | None = None
    """PostgreSQL store: rows older than this are deleted in the background; None keeps all."""
    timeout_seconds: float = 2.0
    """PostgreSQL store: the longest a load or a store may take before the request gets 503."""
    synchronous_commit: bool = False
    """PostgreSQL store: wait for each stored turn to reach the disk (off: a database crash may
    lose the last fraction of a second of turns, never half of one)."""
    cache_mb: int = 32
    """PostgreSQL store: megabytes of recent conversations each replica keeps in memory, so a
    follow-up on the replica that stored the previous turn skips the database read; 0: none."""

    def __repr__(self) -> str:
        secret = _masked(self.connection_string)
        return (
            f"StateStorage(type={self.type!r}, connection_string={secret!r}, "
            f"max_entries={self.max_entries}, ttl_seconds={self.ttl_seconds}, "
            f"retention_days={self.retention_days}, timeout_seconds={self.timeout_seconds}, "
            f"synchronous_commit={self.synchronous_commit}, cache_mb={self.cache_mb})"
        )


class PlanoConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A loaded, validated and normalized Plano config."""

    version: str
    listeners: tuple[Listener, ...]
    model_providers: tuple[Provider, ...]
    model_aliases: dict[str, str] = msgspec.field(default_factory=dict)
    endpoints: dict[str, Endpoint] = msgspec.field(default_factory=dict)
    agents: tuple[Agent, ...] = ()
    filters: tuple[Filter, ...] = ()
    overrides: Overrides = msgspec.field(default_factory=Overrides)
    prompt_caching: PromptCaching = msgspec.field(default_factory=PromptCaching)
    system_prompt: str | None = None
    prompt_targets: tuple[PromptTarget, ...] = ()
    prompt_guards: PromptGuardsEntry | None = None
    ratelimits: tuple[RateLimit, ...] = ()
    tracing: Tracing | None = None
    routing: Routing = msgspec.field(default_factory=Routing)
    routing_preferences: tuple[RoutingPreference, ...] = ()
    model_metrics_sources: tuple[MetricsSource, ...] = ()
    state_storage: StateStorage | None = None
    mode: Literal["llm", "prompt"] | None = None
    source_path: str | None = None
    warnings: tuple[str, ...] = ()

    def listener(self, listener_type: ListenerType) -> Listener | None:
        """The first listener of a type (the model listener always exists)."""
        return next((item for item in self.listeners if item.type == listener_type), None)

    @property
    def model_listener(self) -> Listener:
        """The model listener (synthesized when the config has none)."""
        found = self.listener("model")
        assert found is not None, "normalization always adds a model listener"
        return found
