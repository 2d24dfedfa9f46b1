"""Variable substitution, defaults and normalization rules of the config loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from hermesllm.catalog import models_for
from hermesllm.provider_ids import ProviderId
from plano_common.config import ConfigError, PlanoConfig, load_config, load_config_text
from plano_common.config.aws import region_from_host
from plano_common.config.durations import parse_duration
from plano_common.config.env import read_dotenv

MODEL_LISTENER = "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 12000}\n"


def load(text: str, **environ: str) -> PlanoConfig:
    return load_config_text(text, environ=environ)


def provider(config: PlanoConfig, name: str):  # type: ignore[no-untyped-def]
    return next(p for p in config.model_providers if p.name == name)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("300ms", 0.3),
        ("500ms", 0.5),
        ("0.005s", 0.005),
        ("5m", 300.0),
        ("1m", 60.0),
        ("1h", 3600.0),
        (7, 7.0),
        ("30", 30.0),
        ("30 s", 30.0),
        ("30S", 30.0),
        ("1m30s", 90.0),
        ("1h30m", 5400.0),
    ],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text, ()) == pytest.approx(seconds)


def test_env_substitution_forms() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers:\n"
        + "  - {model: openai/gpt-4o, access_key: $KEY}\n"
        + "  - {model: anthropic/claude-sonnet-4-6, access_key: 'pre-${KEY}-post'}\n"
        + "  - {model: mistral/small, access_key: '${UNSET_KEY:-fallback}'}\n"
        + "  - {model: groq/llama, access_key: 'a$$b'}\n",
        KEY="sk-1",
    )
    keys = [p.access_key for p in config.model_providers if not p.internal]
    assert keys == ["sk-1", "pre-sk-1-post", "fallback", "a$b"]


def test_dotenv_beside_config_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# keys\nexport A_KEY='from-dotenv'\nB_KEY=dotenv-b # comment\n", encoding="utf-8"
    )
    path = tmp_path / "plano.yaml"
    path.write_text(
        MODEL_LISTENER
        + "model_providers:\n  - {model: openai/gpt-4o, access_key: $A_KEY}\n"
        + "  - {model: openai/o3, access_key: $B_KEY}\n",
        encoding="utf-8",
    )
    config = load_config(path, environ={"B_KEY": "from-env"})
    assert provider(config, "openai/gpt-4o").access_key == "from-dotenv"
    assert provider(config, "openai/o3").access_key == "from-env"


def test_dotenv_quotes_comments_and_export(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "\ufeff# written by an editor with a BOM\n"
        'export QUOTED="sk-a" # trailing comment\n'
        "SINGLE='sk-#b' # comment\n"
        'ESCAPED="x\\"y"\n'
        "  SPACED = sk-c  \n"
        "HASH=sk#d\n"
        "EMPTY=\n"
        "not an assignment\n",
        encoding="utf-8",
    )
    variables = read_dotenv(tmp_path / ".env")
    assert variables == {
        "QUOTED": "sk-a",
        "SINGLE": "sk-#b",
        "ESCAPED": 'x"y',
        "SPACED": "sk-c",
        "HASH": "sk#d",
        "EMPTY": "",
    }


def test_dotenv_beside_a_symlinked_config(tmp_path: Path) -> None:
    target_dir = tmp_path / "..data"
    target_dir.mkdir()
    (target_dir / "plano.yaml").write_text(
        MODEL_LISTENER + "model_providers: [{model: openai/gpt-4o, access_key: $LINK_KEY}]\n",
        encoding="utf-8",
    )
    mount = tmp_path / "app"
    mount.mkdir()
    (mount / "plano.yaml").symlink_to(target_dir / "plano.yaml")
    (mount / ".env").write_text("LINK_KEY=beside-the-link\n", encoding="utf-8")
    config = load_config(mount / "plano.yaml", environ={})
    assert provider(config, "openai/gpt-4o").access_key == "beside-the-link"
    (mount / ".env").unlink()
    (target_dir / ".env").write_text("LINK_KEY=beside-the-target\n", encoding="utf-8")
    config = load_config(mount / "plano.yaml", environ={})
    assert provider(config, "openai/gpt-4o").access_key == "beside-the-target"


def test_unset_variable_error_names_variable_and_dotenv(tmp_path: Path) -> None:
    path = tmp_path / "plano.yaml"
    path.write_text(
        MODEL_LISTENER + "model_providers:\n  - {model: openai/gpt-4o, access_key: $MISSING}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert message.startswith(f"{path}:5: model_providers[0].access_key: ")
    assert "MISSING is not set" in message and str(tmp_path / ".env") in message


def test_unset_variables_where_the_value_is_unused_are_fine() -> None:
    config = load(
        MODEL_LISTENER
        + "system_prompt: 'Prices are in $CURRENCY, e.g. ${amount-in-cents}'\n"
        + "model_providers:\n"
        + "  - {model: openai/gpt-4o, access_key: $NOT_SET, passthrough_auth: true}\n"
        + "state_storage: {type: memory, connection_string: $NOT_SET_EITHER}\n"
    )
    assert config.system_prompt == "Prices are in $CURRENCY, e.g. ${amount-in-cents}"
    assert provider(config, "openai/gpt-4o").access_key is None
    assert config.state_storage is not None and config.state_storage.connection_string is None


def test_unset_variable_in_postgres_connection_string_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"state_storage.connection_string: environment variable"):
        load(MODEL_LISTENER + "state_storage: {type: postgres, connection_string: $PG}\n")


def test_environment_variable_in_a_port() -> None:
    config = load(
        "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: $PORT}\n", PORT="9000"
    )
    assert config.model_listener.port == 9000


def test_quoted_port_and_variable_inside_a_url() -> None:
    config = load(
        "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: '12001'}\n"
        "model_providers:\n"
        "  - {model: ollama/llama3, base_url: 'http://${OLLAMA_HOST}:$OLLAMA_PORT/v1/'}\n",
        OLLAMA_HOST="gpu-box",
        OLLAMA_PORT="11434",
    )
    assert config.model_listener.port == 12001
    ollama = provider(config, "ollama/llama3")
    assert (ollama.scheme, ollama.host, ollama.port, ollama.path_prefix) == (
        "http",
        "gpu-box",
        11434,
        "/v1",
    )


def test_ipv6_hosts() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers: [{model: ollama/llama3, base_url: 'http://[::1]:11434/'}]\n"
        + "endpoints:\n  a: {endpoint: '[fd00::5]:8080'}\n  b: {endpoint: '::1'}\n"
        + "  c: {endpoint: '[::1]', protocol: https}\n"
    )
    ollama = provider(config, "ollama/llama3")
    assert (ollama.host, ollama.port, ollama.path_prefix) == ("::1", 11434, None)
    hosts = {name: (e.host, e.port) for name, e in config.endpoints.items()}
    assert hosts == {"a": ("fd00::5", 8080), "b": ("::1", 80), "c": ("::1", 443)}


def test_unquoted_numeric_version() -> None:
    assert load("version: 0.1\nlisteners: []\n").version == "0.1"


def test_model_listener_is_synthesised() -> None:
    config = load("version: v0.4.0\nlisteners:\n  - {type: prompt, name: p}\n")
    listener = config.model_listener
    assert (listener.name, listener.address, listener.port) == ("egress_traffic", "0.0.0.0", 12000)
    assert listener.timeout_seconds == 300.0
    prompt = config.listener("prompt")
    assert prompt is not None and (prompt.port, prompt.timeout_seconds) == (10000, 300.0)


def test_legacy_listeners() -> None:
    config = load(
        "version: v0.1\nlisteners:\n  ingress_traffic: {port: 10005, timeout: 30s}\n"
        "  egress_traffic: {address: 127.0.0.1, port: 12005, message_format: openai}\n"
        "llm_providers: [{model: openai/gpt-4o, access_key: k}]\n"
    )
    assert [(x.name, x.type, x.address, x.port, x.timeout_seconds) for x in config.listeners] == [
        ("egress_traffic", "model", "127.0.0.1", 12005, 300.0),
        ("ingress_traffic", "prompt", "0.0.0.0", 10005, 30.0),
    ]
    assert "llm_providers is deprecated; rename it to model_providers" in config.warnings


def test_provider_model_split_and_base_url() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers:\n"
        + "  - {model: openrouter/anthropic/claude-x, access_key: k}\n"
        + "  - {model: my_llm/llama3.2, provider_interface: openai, "
        + "base_url: 'http://localhost:11434/api/v1/'}\n"
    )
    routed = provider(config, "openrouter/anthropic/claude-x")
    assert (routed.provider_id, routed.prefix, routed.model) == (
        ProviderId.OPENROUTER,
        "openrouter",
        "anthropic/claude-x",
    )
    assert (routed.scheme, routed.host, routed.port, routed.path_prefix) == (
        "https",
        "openrouter.ai",
        443,
        None,
    )
    local = provider(config, "my_llm/llama3.2")
    assert (local.provider_id, local.scheme, local.host, local.port, local.path_prefix) == (
        ProviderId.OPENAI,
        "http",
        "localhost",
        11434,
        "/api/v1",
    )


def test_internal_providers() -> None:
    plain = load(MODEL_LISTENER + "model_providers: [{model: openai/gpt-4o, access_key: k}]\n")
    internal = [(p.name, p.model) for p in plain.model_providers if p.internal]
    assert internal == [
        ("arch-function", "Arch-Function"),
        ("plano/orchestrator", "Plano-Orchestrator"),
    ]
    routed = load(
        MODEL_LISTENER
        + "model_providers: [{model: openai/gpt-4o, access_key: k}]\n"
        + "routing_preferences: [{name: a, description: b, models: [openai/gpt-4o]}]\n"
    )
    assert next(p.name for p in routed.model_providers if p.internal) == "plano-orchestrator"
    hosted = provider(routed, "arch-function")
    assert (hosted.provider_id, hosted.host, hosted.port) == (
        ProviderId.PLANO,
        "archfc.katanemo.dev",
        443,
    )


def test_inline_routing_preferences_migrate() -> None:
    config = load(
        "version: v0.3.0\nlisteners: [{type: model, name: m}]\nmodel_providers:\n"
        "  - model: openai/gpt-4o\n    access_key: k\n"
        "    routing_preferences: [{name: code, description: write code}]\n"
        "  - model: anthropic/claude-sonnet-4-6\n    access_key: k\n"
        "    routing_preferences: [{name: code, description: other text}]\n"
    )
    assert [(p.name, p.description, p.models) for p in config.routing_preferences] == [
        ("code", "write code", ("openai/gpt-4o", "anthropic/claude-sonnet-4-6"))
    ]
    assert any("different descriptions" in w for w in config.warnings)


def test_filter_chain_is_an_alias_of_input_filters() -> None:
    config = load(
        "version: v0.3.0\nagents: [{id: rag, url: 'http://localhost:10505'}]\n"
        "filters: [{id: rewrite, url: 'http://localhost:10501/x'}]\n"
        "listeners:\n  - type: agent\n    name: a\n    port: 8001\n    router: plano_agent_router\n"
        "    agents: [{id: rag, description: d, filter_chain: [rewrite]}]\n"
    )
    listener = config.listener("agent")
    assert listener is not None
    assert listener.router == "plano_orchestrator_v1"
    assert listener.agents[0].input_filters == ("rewrite",)
    assert config.filters[0].tool == "rewrite" and config.filters[0].type == "mcp"
    assert config.endpoints["rewrite"].path_prefix == "/x"


def test_chatgpt_and_kimi_presets() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers:\n  - model: 'chatgpt/*'\n"
        + "  - {model: moonshotai/kimi-for-coding, access_key: k, "
        + "base_url: 'https://api.kimi.com/coding'}\n",
        CHATGPT_ACCOUNT_ID="acct-1",
    )
    chatgpt = provider(config, "chatgpt/*")
    assert chatgpt.passthrough_auth and chatgpt.wildcard
    assert chatgpt.host == "chatgpt.com"
    assert chatgpt.headers["ChatGPT-Account-Id"] == "acct-1"
    assert chatgpt.headers["originator"] == "codex_cli_rs"
    kimi = provider(config, "moonshotai/kimi-for-coding")
    assert kimi.path_prefix == "/coding/v1"
    assert kimi.headers == {"User-Agent": "KimiCLI/1.3"}


def test_bedrock_region_and_credentials() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers:\n"
        + "  - {model: amazon_bedrock/us.amazon.nova-pro-v1:0, access_key: tok, "
        + "base_url: 'https://bedrock-runtime.us-west-2.amazonaws.com'}\n"
        + "  - model: amazon_bedrock/anthropic.claude-v2\n"
        + "    aws: {access_key_id: AKIA1, secret_access_key: $SECRET}\n",
        AWS_REGION="eu-central-1",
        SECRET="s3cr3t",
    )
    keyed = provider(config, "amazon_bedrock/us.amazon.nova-pro-v1:0")
    assert keyed.aws is not None and keyed.aws.region == "us-west-2"
    signed = provider(config, "amazon_bedrock/anthropic.claude-v2")
    assert signed.host == "bedrock-runtime.eu-central-1.amazonaws.com"
    assert signed.aws is not None
    assert (signed.aws.region, signed.aws.access_key_id, signed.aws.secret_access_key) == (
        "eu-central-1",
        "AKIA1",
        "s3cr3t",
    )
    assert "s3cr3t" not in repr(signed.aws)


def test_secrets_are_masked_in_repr() -> None:
    config = load(
        MODEL_LISTENER + "model_providers: [{model: openai/gpt-4o, access_key: sk-secret}]\n"
    )
    assert "sk-secret" not in repr(config.model_providers[0])
    assert "sk-secret" not in repr(config)


def test_defaults_of_other_sections() -> None:
    config = load(
        MODEL_LISTENER + "prompt_caching: {enabled: true}\nrouting: {session_ttl_seconds: 90}\n"
    )
    assert config.prompt_caching.enabled and config.prompt_caching.inject_cache_control
    assert config.prompt_caching.min_prefix_tokens == 1024
    assert config.prompt_caching.session_ttl_seconds == 90
    assert config.routing.session_max_entries == 10000
    assert config.routing.session_cache.type == "memory"
    assert config.overrides.upstream_connect_timeout_seconds == 5.0
    assert config.overrides.orchestrator_model_context_length == 8192
    assert config.tracing is None
    assert config.state_storage is None


def test_tracing_endpoint_defaults_from_environment() -> None:
    config = load(
        MODEL_LISTENER + "tracing: {random_sampling: 10}\n",
        OTEL_TRACING_GRPC_ENDPOINT="http://otel:4317",
    )
    assert config.tracing is not None
    assert config.tracing.opentracing_grpc_endpoint == "http://otel:4317"
    assert config.tracing.random_sampling == 10


def test_extensions_beyond_the_original_schema() -> None:
    config = load(
        "version: 0.4.0\nlisteners: [{type: model, name: m}]\n"
        "model_providers: [{model: openai/gpt-4o, access_key: k}]\n"
        "endpoints:\n  api: {endpoint: 'https://api.example.com:8443/base', connect_timeout: 2s}\n"
        "  local: {endpoint: '[::1]:8080'}\n"
        "ratelimits:\n  - {model: gpt-4o, selector: {key: x-user-id}, "
        "limit: {tokens: 10, unit: minute}}\n"
        "tracing: {opentracing_grpc_endpoint: 'https://otel.example.com:4317'}\n"
    )
    api = config.endpoints["api"]
    assert (api.protocol, api.host, api.port, api.path_prefix) == (
        "https",
        "api.example.com",
        8443,
        "/base",
    )
    assert api.connect_timeout_seconds == 2.0
    assert (config.endpoints["local"].host, config.endpoints["local"].port) == ("::1", 8080)
    assert config.ratelimits[0].selector_value is None
    assert not config.warnings


def test_provider_without_key_is_a_warning() -> None:
    config = load(
        MODEL_LISTENER + "model_providers: [{model: openai/gpt-4o, access_key: '${K:-}'}]\n"
    )
    assert config.model_providers[0].access_key is None
    assert any("has no access_key" in warning for warning in config.warnings)


def test_rate_limits_are_keyed_by_the_upstream_model_id() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers:\n"
        + "  - {model: openai/gpt-4o, access_key: k}\n"
        + "  - {model: openai/gpt-4o-mini, access_key: k, name: fast}\n"
        + "  - {model: openrouter/meta/llama-4, access_key: k}\n"
        + "  - {model: 'anthropic/*', access_key: k}\n"
        + "ratelimits:\n"
        + "  - {model: openai/gpt-4o, selector: {key: x-user, value: '*'}, "
        + "limit: {tokens: 10, unit: minute}}\n"
        + "  - {model: fast, selector: {key: x-org, value: acme}, limit: {tokens: 5, unit: hour}}\n"
        + "  - {model: meta/llama-4, selector: {key: x-org}, limit: {tokens: 5, unit: hour}}\n"
        + "  - {model: anthropic/claude-x, selector: {key: x-org}, "
        + "limit: {tokens: 5, unit: day}}\n"
        + "  - {model: gpt-9, selector: {key: x-org}, limit: {tokens: 5, unit: hour}}\n"
        + "  - {model: 'anthropic/*', selector: {key: x-org}, limit: {tokens: 5, unit: hour}}\n"
    )
    assert [(r.model, r.selector_value) for r in config.ratelimits] == [
        ("gpt-4o", None),
        ("gpt-4o-mini", "acme"),
        ("meta/llama-4", None),
        ("claude-x", None),
        ("gpt-9", None),
        ("anthropic/*", None),
    ]
    assert config.warnings == (
        'ratelimits[4].model: "gpt-9" is not a configured model, so this limit never applies',
        'ratelimits[5].model: "anthropic/*" is a wildcard, so this limit never applies; give '
        "one limit per model",
    )


def test_catalog_models_of_a_wildcard_are_configured_models() -> None:
    catalog_model = models_for(ProviderId.ANTHROPIC)[0]
    config = load(
        MODEL_LISTENER
        + "model_providers: [{model: 'anthropic/*', access_key: k}]\n"
        + f"model_aliases: {{smart: {{target: {catalog_model}}}}}\n"
        + f"routing_preferences: [{{name: code, description: d, models: [{catalog_model}]}}]\n"
    )
    assert config.model_aliases == {"smart": catalog_model}
    assert config.routing_preferences[0].models == (catalog_model,)


def test_secret_from_a_file_loses_its_trailing_newline() -> None:
    config = load(
        MODEL_LISTENER
        + "model_providers:\n  - {model: openai/gpt-4o, access_key: $K, headers: {X-T: $T}}\n",
        K="sk-from-file\n",
        T=" team-a\n",
    )
    gpt = provider(config, "openai/gpt-4o")
    assert (gpt.access_key, gpt.headers) == ("sk-from-file", {"X-T": "team-a"})


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("bedrock-runtime.us-west-2.amazonaws.com", "us-west-2"),
        ("bedrock-runtime-fips.us-east-1.amazonaws.com", "us-east-1"),
        ("vpce-0a1b2c3d-4e5f.bedrock-runtime.us-east-1.vpce.amazonaws.com", "us-east-1"),
        ("bedrock-runtime.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("BEDROCK-RUNTIME.eu-central-1.amazonaws.com.", "eu-central-1"),
        ("bedrock-runtime.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("bedrock.us-east-1.amazonaws.com", None),
        ("bedrock-runtime.us-east-1.example.com", None),
        ("s3.us-east-1.amazonaws.com", None),
        ("127.0.0.1", None),
    ],
)
def test_region_from_bedrock_hosts(host: str, region: str | None) -> None:
    assert region_from_host(host) == region
