"""Plano configuration: types, loading, validation, normalization and JSON Schema.

`load_config(path)` returns a PlanoConfig or raises ConfigError (one line naming the location
and the fix). See docs/config.md for every key and the differences from the original.
"""

from plano_common.config.errors import ConfigError
from plano_common.config.json_schema import config_json_schema
from plano_common.config.loader import load_config, load_config_text
from plano_common.config.types import (
    Agent,
    AwsSettings,
    Endpoint,
    Filter,
    Listener,
    ListenerAgent,
    Overrides,
    PlanoConfig,
    PromptCaching,
    PromptTarget,
    PromptTargetEndpoint,
    Provider,
    RateLimit,
    Routing,
    RoutingBudget,
    RoutingPreference,
    SessionCache,
    SpanAttributes,
    StateStorage,
    Tracing,
)

__all__ = [
    "Agent",
    "AwsSettings",
    "ConfigError",
    "Endpoint",
    "Filter",
    "Listener",
    "ListenerAgent",
    "Overrides",
    "PlanoConfig",
    "PromptCaching",
    "PromptTarget",
    "PromptTargetEndpoint",
    "Provider",
    "RateLimit",
    "Routing",
    "RoutingBudget",
    "RoutingPreference",
    "SessionCache",
    "SpanAttributes",
    "StateStorage",
    "Tracing",
    "config_json_schema",
    "load_config",
    "load_config_text",
]
