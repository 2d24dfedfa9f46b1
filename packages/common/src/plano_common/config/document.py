"""The Plano config document as users write it: msgspec types that are also the JSON Schema.

Every key of the original's schema is here, plus a few documented extensions (`filter_chain`
as an alias of `input_filters`, optional rate-limit selector values, an `aws` block for
Bedrock providers, any known provider id as `provider_interface`). Values are checked for
shape here; cross-field rules live in the normalizers.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "AgentEntry",
    "AwsEntry",
    "ConfigDocument",
    "ConfigVersion",
    "CostMetricsEntry",
    "Document",
    "Duration",
    "EndpointEntry",
    "FilterEntry",
    "InlineRoutingPreference",
    "InputGuardsEntry",
    "JailbreakGuardEntry",
    "LatencyMetricsEntry",
    "LegacyListeners",
    "LegacyTrafficEntry",
    "ListenerAgentEntry",
    "ListenerEntry",
    "ModelAliasEntry",
    "ModelProviderEntry",
    "OnExceptionEntry",
    "OverridesEntry",
    "ParameterEntry",
    "Port",
    "PosthogExporterEntry",
    "PromptCachingEntry",
    "PromptGuardsEntry",
    "PromptTargetEndpointEntry",
    "PromptTargetEntry",
    "RateLimitAmountEntry",
    "RateLimitEntry",
    "RateLimitSelectorEntry",
    "RoutingBudgetEntry",
    "RoutingEntry",
    "RoutingPreferenceEntry",
    "ScalarValue",
    "SelectionPolicyEntry",
    "SessionCacheEntry",
    "SpanAttributesEntry",
    "StateStorageEntry",
    "TracingEntry",
]

Port = Annotated[int, Meta(ge=1, le=65535, description="TCP port")]
Duration = Annotated[
    str | int | float,
    Meta(description='Duration: a number with a unit, e.g. "30s", "300ms", "5m", "1h"'),
]
ConfigVersion = Literal[
    "v0.1",
    "v0.1.0",
    "0.1-beta",
    "0.2.0",
    "v0.3.0",
    "v0.4.0",
    "0.1",
    "0.1.0",
    "v0.1-beta",
    "v0.2.0",
    "0.3.0",
    "0.4.0",
]
ScalarValue = str | int | float | bool


class Document(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every config mapping: unknown keys are errors."""


class AgentEntry(Document):
    """An HTTP agent reachable at `url`."""

    id: str
    url: str
    timeout: Duration | None = None


class FilterEntry(Document):
    """A filter (MCP tool or plain HTTP endpoint) applied to requests or responses."""

    id: str
    url: str
    type: Literal["mcp", "http"] | None = None
    transport: Literal["streamable-http"] | None = None
    tool: str | None = None
    timeout: Duration | None = None


class ListenerAgentEntry(Document):
    """An agent offered by an agent listener."""

    id: str
    description: str | None = None
    default: bool | None = None
    input_filters: list[str] | None = None
    filter_chain: Annotated[
        list[str] | None, Meta(description="Alias of input_filters (used by older docs).")
    ] = None


class ListenerEntry(Document):
    """A listener in the list form of `listeners`."""

    type: Literal["model", "prompt", "agent"]
    name: str
    port: Port | None = None
    address: str | None = None
    timeout: Duration | None = None
    router: Literal["plano_orchestrator_v1", "plano_agent_router"] | None = None
    max_retries: Annotated[int, Meta(ge=0)] | None = None
    agents: list[ListenerAgentEntry] | None = None
    input_filters: list[str] | None = None
    output_filters: list[str] | None = None


class LegacyTrafficEntry(Document):
    """`ingress_traffic` / `egress_traffic` of the deprecated dict form of `listeners`."""

    address: str | None = None
    port: Port | None = None
    message_format: Literal["openai"] | None = None
    timeout: Duration | None = None


class LegacyListeners(Document):
    """Deprecated dict form of `listeners`."""

    ingress_traffic: LegacyTrafficEntry | None = None
    egress_traffic: LegacyTrafficEntry | None = None


class EndpointEntry(Document):
    """A reusable upstream service: `host[:port]` plus connection settings."""

    endpoint: str
    connect_timeout: Duration | None = None
    protocol: Literal["http", "https"] | None = None
    http_host: str | None = None
    prefix_affinity: bool | None = None


class InlineRoutingPreference(Document):
    """Deprecated per-provider routing preference (migrated to the top level)."""

    name: str
    description: str


class AwsEntry(Document):
    """AWS settings of an `amazon_bedrock` provider (extension; values support $VAR)."""

    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None


class ModelProviderEntry(Document):
    """One entry of `model_providers` (or the deprecated `llm_providers`)."""

    model: str
    name: str | None = None
    access_key: str | None = None
    default: bool | None = None
    base_url: str | None = None
    passthrough_auth: bool | None = None
    http_host: str | None = None
    provider_interface: str | None = None
    headers: dict[str, str] | None = None
    routing_preferences: list[InlineRoutingPreference] | None = None
    aws: AwsEntry | None = None


class ModelAliasEntry(Document):
    """A friendly model name pointing at a configured model."""

    target: str


class OverridesEntry(Document):
    """Global behavior overrides."""

    prompt_target_intent_matching_threshold: Annotated[float, Meta(ge=0, le=1)] | None = None
    optimize_context_window: bool | None = None
    use_agent_orchestrator: bool | None = None
    disable_signals: bool | None = None
    upstream_connect_timeout: Duration | None = None
    upstream_tls_ca_path: str | None = None
    llm_routing_model: str | None = None
    agent_orchestration_model: str | None = None
    orchestrator_model_context_length: Annotated[int, Meta(ge=1)] | None = None


class PromptCachingEntry(Document):
    """Automatic provider prompt caching (opt-in)."""

    enabled: bool | None = None
    session_affinity: bool | None = None
    inject_cache_control: bool | None = None
    min_prefix_tokens: Annotated[int, Meta(ge=1)] | None = None
    session_ttl_seconds: Annotated[int, Meta(ge=1)] | None = None


class ParameterEntry(Document):
    """A parameter of a prompt target (a function-calling argument)."""

    name: str
    description: str
    type: str
    required: bool | None = None
    default: ScalarValue | None = None
    enum: list[ScalarValue] | None = None
    in_path: bool | None = None
    format: str | None = None


class PromptTargetEndpointEntry(Document):
    """Where a prompt target's call goes."""

    name: str
    path: str
    http_method: Literal["GET", "POST"] | None = None
    http_headers: dict[str, str] | None = None


class PromptTargetEntry(Document):
    """A function the prompt gateway can call."""

    name: str
    description: str
    default: bool | None = None
    auto_llm_dispatch_on_response: bool | None = None
    parameters: list[ParameterEntry] | None = None
    endpoint: PromptTargetEndpointEntry | None = None
    system_prompt: str | None = None


class RateLimitSelectorEntry(Document):
    """Which requests a rate limit applies to: a header name and optionally one value.

    By default the limit applies only when the client names `key` in the
    `x-arch-ratelimit-selector` header. With `enforce: true` the header `key` is read on every
    request for the model, whatever the client names; `default` is then the bucket of requests
    that lack the header (without it they are not limited)."""

    key: str
    value: str | None = None
    enforce: bool = False
    default: str | None = None


class RateLimitAmountEntry(Document):
    """How many tokens per time unit."""

    tokens: Annotated[int, Meta(ge=1)]
    unit: Literal["second", "minute", "hour", "day"]


class RateLimitEntry(Document):
    """A token rate limit for one model and selector."""

    model: str
    selector: RateLimitSelectorEntry
    limit: RateLimitAmountEntry


class SpanAttributesEntry(Document):
    """Extra span attributes: request headers by prefix and static key/values."""

    header_prefixes: list[str] | None = None
    static: dict[str, str] | None = None


class PosthogExporterEntry(Document, tag="posthog", tag_field="type"):
    """PostHog LLM-analytics exporter."""

    url: str
    api_key: str
    distinct_id_header: str | None = None
    capture_messages: bool | None = None


class TracingEntry(Document):
    """OpenTelemetry tracing."""

    random_sampling: Annotated[int, Meta(ge=0, le=100)] | None = None
    trace_arch_internal: bool | None = None
    opentracing_grpc_endpoint: str | None = None
    span_attributes: SpanAttributesEntry | None = None
    exporters: list[PosthogExporterEntry] | None = None


class SessionCacheEntry(Document):
    """Backend of the routing affinity cache."""

    type: Literal["memory", "redis"] | None = None
    url: str | None = None
    tenant_header: str | None = None


class RoutingBudgetEntry(Document):
    """Per-session cost gate on model switching."""

    max_switch_spend_pct: Annotated[float, Meta(ge=0, le=100)]
    replenish_on_rebind: bool | None = None
    cache_read_discount: Annotated[float, Meta(ge=0, le=1)] | None = None
    record_counterfactual: bool | None = None


class RoutingEntry(Document):
    """Routing and model-affinity settings."""

    llm_provider: str | None = None
    model: str | None = None
    session_ttl_seconds: Annotated[int, Meta(ge=1)] | None = None
    session_max_entries: Annotated[int, Meta(ge=1, le=10000)] | None = None
    session_cache: SessionCacheEntry | None = None
    routing_budget: RoutingBudgetEntry | None = None
    route_on_user_only: bool | None = None
    orchestrator_timeout: Duration | None = None


class SelectionPolicyEntry(Document):
    """How the router orders the candidate models of a preference."""

    prefer: Literal["cheapest", "fastest", "none", ""] | None = None


class RoutingPreferenceEntry(Document):
    """A named task category with an ordered pool of candidate models."""

    name: str
    description: str
    models: Annotated[list[str], Meta(min_length=1)]
    selection_policy: SelectionPolicyEntry | None = None


class CostMetricsEntry(Document, tag="cost", tag_field="type"):
    """A pricing catalog used by `prefer: cheapest` and the routing budget."""

    provider: Literal["digitalocean", "models.dev"]
    url: str | None = None
    refresh_interval: Annotated[int, Meta(ge=1)] | None = None
    model_aliases: dict[str, str] | None = None


class LatencyMetricsEntry(Document, tag="latency", tag_field="type"):
    """A Prometheus latency query used by `prefer: fastest`."""

    provider: Literal["prometheus"]
    url: str
    query: str
    refresh_interval: Annotated[int, Meta(ge=1)] | None = None


class StateStorageEntry(Document):
    """Conversation state for `/v1/responses`."""

    type: Literal["memory", "postgres"]
    connection_string: str | None = None
    max_entries: Annotated[int, Meta(ge=1)] | None = None
    ttl_seconds: Annotated[int, Meta(ge=1)] | None = None
    retention_days: Annotated[int, Meta(ge=1)] | None = None
    timeout: Duration | None = None
    synchronous_commit: bool | None = None
    cache_mb: Annotated[int, Meta(ge=0, le=65536)] | None = None


class OnExceptionEntry(Document):
    """What to answer when a guard blocks a prompt."""

    message: str


class JailbreakGuardEntry(Document):
    """The jailbreak input guard."""

    on_exception: OnExceptionEntry


class InputGuardsEntry(Document):
    """Input guards."""

    jailbreak: JailbreakGuardEntry


class PromptGuardsEntry(Document):
    """Prompt guards of the prompt gateway."""

    input_guards: InputGuardsEntry


class ConfigDocument(Document):
    """A Plano config file."""

    version: ConfigVersion
    listeners: list[ListenerEntry] | LegacyListeners
    agents: list[AgentEntry] | None = None
    filters: list[FilterEntry] | None = None
    endpoints: dict[str, EndpointEntry] | None = None
    model_providers: list[ModelProviderEntry] | None = None
    llm_providers: Annotated[
        list[ModelProviderEntry] | None, Meta(description="Deprecated name of model_providers.")
    ] = None
    model_aliases: dict[str, ModelAliasEntry] | None = None
    overrides: OverridesEntry | None = None
    prompt_caching: PromptCachingEntry | None = None
    system_prompt: str | None = None
    prompt_targets: list[PromptTargetEntry] | None = None
    prompt_guards: PromptGuardsEntry | None = None
    ratelimits: list[RateLimitEntry] | None = None
    tracing: TracingEntry | None = None
    routing: RoutingEntry | None = None
    routing_preferences: list[RoutingPreferenceEntry] | None = None
    model_metrics_sources: list[CostMetricsEntry | LatencyMetricsEntry] | None = None
    state_storage: StateStorageEntry | None = None
    mode: Literal["llm", "prompt"] | None = None
