"""Invalid configs produce one documented, located, one-line error each."""

from __future__ import annotations

from pathlib import Path

import pytest

from plano_common.config import ConfigError, load_config, load_config_text

HEAD = "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 12000}\n"
ENV = {"OPENAI_API_KEY": "sk-test", "TWO_LINES": "a\nb"}

CASES: list[tuple[str, str, str]] = [
    (
        "model without provider",
        HEAD + "model_providers:\n  - model: openai/gpt-4o\n  - model: o3\n  - model: gpt-4o\n",
        'model_providers[1].model: "o3" must be "<provider>/<model>" (e.g. "openai/gpt-4o"), '
        'or "<provider>/*" for every model of a provider',
    ),
    (
        "unknown version",
        "version: v9\nlisteners: []\n",
        'version: "v9" is not allowed; use v0.4.0 (older configs: v0.1, v0.1.0, 0.1-beta, '
        "0.2.0, v0.3.0)",
    ),
    ("missing listeners", "version: v0.4.0\n", 'missing required key "listeners"'),
    (
        "misspelt top-level key",
        HEAD + "model_provider:\n  - model: openai/gpt-4o\n",
        'model_provider: unknown key; did you mean "model_providers"?',
    ),
    (
        "misspelt provider key",
        HEAD + "model_providers:\n  - model: openai/gpt-4o\n    acess_key: x\n",
        'model_providers[0].acess_key: unknown key; did you mean "access_key"?',
    ),
    (
        "port is text",
        "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: high}\n",
        'listeners[0].port: expected an integer, got "high"',
    ),
    (
        "port out of range",
        "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 70000}\n",
        "listeners[0].port: 70000 must be <= 65535",
    ),
    (
        "unknown listener type",
        "version: v0.4.0\nlisteners:\n  - {type: llm, name: m}\n",
        'listeners[0].type: "llm" is not allowed; use one of: agent, model, prompt',
    ),
    (
        "bad timeout",
        "version: v0.4.0\nlisteners:\n  - {type: model, name: m, timeout: 30 sec}\n",
        'listeners[0].timeout: "30 sec" is not a duration; use a number with a unit, '
        'e.g. "30s", "300ms" or "5m"',
    ),
    (
        "two model listeners on one port",
        "version: v0.4.0\nlisteners:\n  - {type: model, name: a, port: 1}\n"
        "  - {type: model, name: b, port: 1}\n",
        'listeners[1].port: port 1 is also used by listener "a"; give each listener its own port',
    ),
    (
        "duplicate listener name",
        "version: v0.4.0\nlisteners:\n  - {type: model, name: a}\n  - {type: prompt, name: a}\n",
        'listeners[1].name: duplicate listener name "a" (also listeners[0]); give each '
        "listener a unique name",
    ),
    (
        "port clash",
        "version: v0.4.0\nlisteners:\n  - {type: prompt, name: p, port: 12000}\n",
        "listeners[0].port: port 12000 is also used by the default model listener; give each "
        "listener its own port",
    ),
    (
        "agent listener without port",
        "version: v0.4.0\nagents: [{id: a, url: 'http://x:1'}]\nlisteners:\n"
        "  - {type: agent, name: g, agents: [{id: a, description: d}]}\n",
        "listeners[0]: missing port: agent listeners need one, e.g. port: 8001",
    ),
    (
        "unknown filter id",
        "version: v0.4.0\nfilters: [{id: guard, url: 'http://x:1'}]\nlisteners:\n"
        "  - {type: model, name: m, input_filters: [gaurd]}\n",
        'listeners[0].input_filters[0]: "gaurd" is not defined under agents or filters '
        "(known ids: guard)",
    ),
    (
        "filter_chain and input_filters together",
        "version: v0.4.0\nagents: [{id: a, url: 'http://x:1'}]\nlisteners:\n"
        "  - {type: agent, name: g, port: 8001, agents: "
        "[{id: a, description: d, input_filters: [], filter_chain: []}]}\n",
        "listeners[0].agents[0].filter_chain: give input_filters or its older name "
        "filter_chain, not both",
    ),
    (
        "both provider sections",
        HEAD + "model_providers: [{model: openai/gpt-4o}]\nllm_providers: [{model: openai/o3}]\n",
        "llm_providers: give model_providers or the deprecated llm_providers, not both; move "
        "these entries under model_providers",
    ),
    (
        "two defaults",
        HEAD + "model_providers:\n  - {model: openai/gpt-4o, default: true}\n"
        "  - {model: openai/o3, default: true}\n",
        "model_providers[1].default: only one provider can be the default and "
        "model_providers[0] already is; remove one of the default: true",
    ),
    (
        "duplicate model",
        HEAD
        + "model_providers:\n  - {model: openai/gpt-4o}\n  - {model: openai/gpt-4o, name: x}\n",
        'model_providers[1].model: duplicate model "openai/gpt-4o" (also model_providers[0]); '
        "configure each model once",
    ),
    (
        "duplicate name",
        HEAD + "model_providers:\n  - {model: openai/gpt-4o, name: fast}\n"
        "  - {model: openai/o3, name: fast}\n",
        'model_providers[1].name: duplicate provider name "fast" (also model_providers[0]); '
        "give each provider a unique name",
    ),
    (
        "wildcard default",
        HEAD + "model_providers:\n  - {model: 'openai/*', default: true}\n",
        'model_providers[0].default: "openai/*" is a wildcard and cannot be the default; set '
        "default: true on a specific model instead",
    ),
    (
        "provider needing base_url",
        HEAD + "model_providers:\n  - {model: azure_openai/gpt-4o, access_key: k}\n",
        'model_providers[0]: provider "azure_openai" has no default address; set base_url '
        '(e.g. base_url: https://<resource>.openai.azure.com) for model "azure_openai/gpt-4o"',
    ),
    (
        "unknown prefix without interface",
        HEAD + "model_providers:\n  - {model: local/llama, base_url: 'http://h:1'}\n",
        'model_providers[0].model: unknown provider "local": use a known provider prefix',
    ),
    (
        "interface on a known prefix",
        HEAD + "model_providers:\n  - {model: groq/llama, provider_interface: openai}\n",
        'model_providers[0].provider_interface: "groq" is a known provider, so its interface '
        "is implied; remove provider_interface (it is only for unknown prefixes, "
        'e.g. "my_server/<model>")',
    ),
    (
        "bad provider interface",
        HEAD + "model_providers:\n  - {model: x/llama, base_url: 'http://h:1', "
        "provider_interface: openia}\n",
        'model_providers[0].provider_interface: "openia" is not a provider interface; use one of:',
    ),
    (
        "base_url without scheme",
        HEAD + "model_providers:\n  - {model: ollama/llama3, base_url: 'localhost:11434'}\n",
        'model_providers[0].base_url: "localhost:11434" must be an http:// or https:// URL, '
        'e.g. "https://api.example.com/v1"',
    ),
    (
        "alias to unknown model",
        HEAD + "model_providers: [{model: openai/gpt-4o}]\n"
        "model_aliases:\n  fast.v1: {target: gpt-5}\n",
        'model_aliases["fast.v1"].target: "gpt-5" is not a configured model (configured: '
        "gpt-4o, openai/gpt-4o)",
    ),
    (
        "chained alias",
        HEAD + "model_providers: [{model: openai/gpt-4o}]\n"
        "model_aliases:\n  a: {target: gpt-4o}\n  b: {target: a}\n",
        'model_aliases.b.target: "a" is another alias; aliases do not chain, so point this '
        "one at a configured model",
    ),
    (
        "routing preference with unknown model",
        HEAD + "model_providers: [{model: openai/gpt-4o}]\nrouting_preferences:\n"
        "  - {name: code, description: d, models: [anthropic/claude-sonnet-4-6]}\n",
        'routing_preferences[0].models[0]: "anthropic/claude-sonnet-4-6" is not a configured '
        "model; add it to model_providers (configured: gpt-4o, openai/gpt-4o)",
    ),
    (
        "empty routing preference models",
        HEAD + "model_providers: [{model: openai/gpt-4o}]\nrouting_preferences:\n"
        "  - {name: code, description: d, models: []}\n",
        "routing_preferences[0].models: needs length >= 1",
    ),
    (
        "prompt target with unknown endpoint",
        HEAD + "endpoints: {api: {endpoint: 'h:80'}}\nprompt_targets:\n"
        "  - {name: t, description: d, endpoint: {name: apj, path: /x}}\n",
        'prompt_targets[0].endpoint.name: unknown endpoint "apj"; add it under endpoints '
        "(known: api)",
    ),
    (
        "endpoint with bad port",
        HEAD + "endpoints: {api: {endpoint: 'h:http'}}\n",
        'endpoints.api.endpoint: "h:http" has an invalid port; use "host:port" with a port 1-65535',
    ),
    (
        "endpoint with unknown key",
        HEAD + "endpoints: {api: {endpoint: 'h', retries: 5}}\n",
        "endpoints.api.retries: unknown key; allowed keys: endpoint, connect_timeout, "
        "protocol, http_host, prefix_affinity",
    ),
    (
        "endpoint key close to a known one",
        HEAD + "endpoints: {api: {endpoint: 'h', timeout: 5s}}\n",
        'endpoints.api.timeout: unknown key; did you mean "connect_timeout"?',
    ),
    (
        "postgres without connection string",
        HEAD + "state_storage: {type: postgres}\n",
        "state_storage.connection_string: required when type is postgres, e.g. "
        '"postgresql://user:$DB_PASSWORD@host:5432/db"',
    ),
    (
        "redis cache without url",
        HEAD + "routing: {session_cache: {type: redis}}\n",
        "routing.session_cache.url: required when type is redis, e.g. url: "
        '"redis://localhost:6379"',
    ),
    (
        "rate limit unit",
        HEAD + "ratelimits:\n  - {model: gpt-4o, selector: {key: x-user}, "
        "limit: {tokens: 5, unit: week}}\n",
        'ratelimits[0].limit.unit: "week" is not allowed; use one of: day, hour, minute, second',
    ),
    (
        "sampling over 100",
        HEAD + "tracing: {random_sampling: 150}\n",
        "tracing.random_sampling: 150 must be <= 100",
    ),
    (
        "tracing endpoint with a path",
        HEAD + "tracing: {opentracing_grpc_endpoint: 'http://otel:4317/v1/traces'}\n",
        'tracing.opentracing_grpc_endpoint: "http://otel:4317/v1/traces" must not have a path '
        "(an OTLP gRPC endpoint is host:port)",
    ),
    (
        "metrics source type",
        HEAD + "model_metrics_sources: [{type: price, provider: digitalocean}]\n",
        'model_metrics_sources[0].type: "price" is not allowed; use one of: cost, latency',
    ),
    (
        "duplicate agent id",
        HEAD + "agents: [{id: a, url: 'http://x:1'}]\nfilters: [{id: a, url: 'http://y:1'}]\n",
        'filters[0].id: duplicate id "a" (also agents[0]); agent and filter ids must be unique',
    ),
    (
        "aws block on a non-bedrock provider",
        HEAD + "model_providers: [{model: openai/gpt-4o, aws: {region: us-east-1}}]\n",
        "model_providers[0].aws: aws settings are only for amazon_bedrock providers; remove them",
    ),
    (
        "duplicate yaml key",
        HEAD + "tracing: {random_sampling: 1}\ntracing: {random_sampling: 2}\n",
        'duplicate key "tracing"; keep only one',
    ),
    (
        "unset variable in a needed place",
        HEAD + "model_providers: [{model: anthropic/claude-sonnet-4-6, access_key: $NOPE_KEY}]\n",
        "model_providers[0].access_key: environment variable NOPE_KEY is not set; export it or "
        "use ${NOPE_KEY:-default} for an optional value",
    ),
    (
        "the example of the issue, verbatim",
        HEAD + "model_providers:\n  - model: openai/o3\n  - model: openai/gpt-4o-mini\n"
        "  - model: gpt-4o\n",
        'model_providers[2].model: "gpt-4o" must be "<provider>/<model>" (e.g. "openai/gpt-4o")',
    ),
    (
        "base_url with port 0",
        HEAD + "model_providers: [{model: ollama/llama3, base_url: 'http://localhost:0'}]\n",
        'model_providers[0].base_url: "http://localhost:0" has an invalid port; use a port 1-65535',
    ),
    (
        "endpoint with two colons",
        HEAD + "endpoints:\n  api: {endpoint: 'host:80:90'}\n",
        'endpoints.api.endpoint: "host:80:90" is not "host:port"; write an IPv6 address as '
        '"[addr]:port"',
    ),
    (
        "endpoint with junk after an ipv6 address",
        HEAD + "endpoints:\n  api: {endpoint: '[::1]x8080'}\n",
        'endpoints.api.endpoint: "[::1]x8080" must be "[ipv6]" or "[ipv6]:port"',
    ),
    (
        "endpoint with an empty port",
        HEAD + "endpoints:\n  api: {endpoint: 'host:'}\n",
        'endpoints.api.endpoint: "host:" has an invalid port',
    ),
    (
        "rate limit of zero tokens",
        HEAD + "model_providers: [{model: openai/gpt-4o}]\n"
        "ratelimits: [{model: gpt-4o, selector: {key: x-user}, limit: {tokens: 0, unit: hour}}]\n",
        "ratelimits[0].limit.tokens: 0 must be >= 1",
    ),
    (
        "header value that is a number",
        HEAD + "model_providers:\n  - model: openai/gpt-4o\n    headers: {X-Ok: a, X-Version: 2}\n",
        "model_providers[0].headers.X-Version: expected a string, got 2; put it in quotes, "
        'e.g. "2"',
    ),
    (
        "span attribute that is a boolean",
        HEAD + "tracing: {span_attributes: {static: {env: prod, debug: true}}}\n",
        "tracing.span_attributes.static.debug: expected a string, got true; put it in quotes, "
        'e.g. "true"',
    ),
    (
        "unsupported variable syntax",
        HEAD + "model_providers: [{model: openai/gpt-4o, access_key: '${OPENAI_API_KEY-none}'}]\n",
        "model_providers[0].access_key: ${OPENAI_API_KEY-none} is not a supported variable "
        "reference; write ${NAME} or ${NAME:-fallback} (or $$ for a literal $)",
    ),
    (
        "unclosed variable reference",
        HEAD + "model_providers: [{model: openai/gpt-4o, access_key: '${OPENAI_API_KEY'}]\n",
        "model_providers[0].access_key: ${OPENAI_API_KEY is not a supported variable reference",
    ),
    (
        "access key with a line break inside",
        HEAD + "model_providers: [{model: openai/gpt-4o, access_key: $TWO_LINES}]\n",
        "model_providers[0].access_key: the key contains a line break; check the variable it "
        "comes from",
    ),
    (
        "header value with a line break inside",
        HEAD + "model_providers: [{model: openai/gpt-4o, headers: {X-Team: $TWO_LINES}}]\n",
        "model_providers[0].headers.X-Team: a header name or value contains a line break",
    ),
    (
        "number as a mapping key",
        HEAD + "endpoints:\n  1: {endpoint: 'localhost:80'}\n",
        'endpoints: the key 1 must be text; put it in quotes, e.g. "1"',
    ),
    (
        "yes as an alias name",
        HEAD + "model_aliases:\n  yes: {target: gpt-4o}\n",
        "model_aliases: a key was read as true (YAML reads unquoted yes/no/on/off/true/false as "
        'booleans); put the key in quotes, e.g. "yes"',
    ),
    ("not a mapping", "- just\n- a list\n", "the file must be a YAML mapping"),
    ("broken yaml", "version: [v0.4.0\n", "not valid YAML at line 2, column 1"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_config_reports_one_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, environ=ENV, source="plano.yaml")
    error = caught.value
    assert error.detail.startswith(expected), error.detail
    assert "\n" not in str(error)
    assert str(error).startswith("plano.yaml:")


def test_error_carries_the_line_number() -> None:
    text = HEAD + "model_providers:\n  - model: openai/gpt-4o\n  - model: gpt-4o\n"
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, environ=ENV, source="plano.yaml")
    assert caught.value.line == 6
    assert str(caught.value).startswith("plano.yaml:6: model_providers[1].model:")


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plano.yaml"
    path.write_bytes(b"version: v0.4.0\nlisteners: []\nsystem_prompt: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 48\); save the file as UTF-8"):
        load_config(path)
