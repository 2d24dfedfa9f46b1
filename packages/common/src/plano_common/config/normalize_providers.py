"""Model providers: `provider/model` split, interface, upstream address, auth, presets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hermesllm.provider_ids import ProviderId, parse_provider_id
from hermesllm.providers import default_endpoint, requires_base_url
from plano_common.config import provider_presets as presets
from plano_common.config.aws import aws_settings
from plano_common.config.document import ModelProviderEntry, OverridesEntry
from plano_common.config.errors import ConfigError, ConfigPath, format_path, quote
from plano_common.config.types import Provider, RoutingPreference
from plano_common.config.urls import split_url

__all__ = [
    "ARCH_FUNCTION_MODEL",
    "KNOWN_INTERFACES",
    "ORCHESTRATOR_MODEL",
    "PLANO_HOSTED_HOST",
    "ProviderSet",
    "internal_providers",
    "migrate_inline_preferences",
]

PLANO_HOSTED_HOST = "archfc.katanemo.dev"
ORCHESTRATOR_MODEL = "Plano-Orchestrator"
ARCH_FUNCTION_MODEL = "Arch-Function"
KNOWN_INTERFACES = ", ".join(p.value for p in ProviderId)


class ProviderSet:
    """Normalized user providers plus what later steps need: keys and warnings."""

    def __init__(self) -> None:
        self.providers: list[Provider] = []
        self.warnings: list[str] = []
        self.model_keys: set[str] = set()
        self._names: dict[str, ConfigPath] = {}
        self._models: dict[str, ConfigPath] = {}
        self._wildcards: dict[str, ConfigPath] = {}
        self._default: ConfigPath | None = None

    def add(self, entry: ModelProviderEntry, path: ConfigPath, environ: Mapping[str, str]) -> None:
        """Validate and normalize one entry."""
        provider = _normalize(entry, path, environ, self.warnings)
        self._check_unique(provider, entry, path)
        self.providers.append(provider)

    def _check_unique(
        self, provider: Provider, entry: ModelProviderEntry, path: ConfigPath
    ) -> None:
        name_path = (*path, "name") if entry.name is not None else (*path, "model")
        if provider.name in self._names:
            raise ConfigError(
                f"duplicate provider name {quote(provider.name)} (also "
                f"{format_path(self._names[provider.name])}); give each provider a unique name",
                path=name_path,
            )
        self._names[provider.name] = path
        if provider.default:
            if self._default is not None:
                raise ConfigError(
                    f"only one provider can be the default and {format_path(self._default)} "
                    "already is; remove one of the default: true",
                    path=(*path, "default"),
                )
            self._default = path
        if provider.wildcard:
            if provider.prefix in self._wildcards:
                raise ConfigError(
                    f'duplicate wildcard "{provider.prefix}/*" (also '
                    f"{format_path(self._wildcards[provider.prefix])}); keep one",
                    path=(*path, "model"),
                )
            self._wildcards[provider.prefix] = path
            return
        for key, what in ((provider.full_model, "model"), (provider.model, "model id")):
            if key in self._models:
                raise ConfigError(
                    f"duplicate {what} {quote(key)} (also {format_path(self._models[key])}); "
                    "configure each model once",
                    path=(*path, "model"),
                )
        self._models[provider.full_model] = path
        self._models[provider.model] = path
        self.model_keys.update((provider.full_model, provider.model))


def _normalize(
    entry: ModelProviderEntry, path: ConfigPath, environ: Mapping[str, str], warnings: list[str]
) -> Provider:
    model_string = entry.model.strip()
    prefix, model = _split_model(entry, path)
    wildcard = model == "*"
    provider_id = _provider_id(entry, prefix, path)
    _check_placement(entry, provider_id, wildcard, path)
    headers = _headers(entry.headers or {}, (*path, "headers"))
    access_key = (entry.access_key or "").strip() or None
    if access_key is not None and ("\n" in access_key or "\r" in access_key):
        raise ConfigError(
            "the key contains a line break; check the variable it comes from",
            path=(*path, "access_key"),
        )
    passthrough = bool(entry.passthrough_auth)
    if passthrough and access_key:
        warnings.append(
            f"{format_path(path)}: passthrough_auth is true, so access_key is ignored and the "
            "client's credentials are forwarded"
        )
    scheme, host, port, path_prefix = _upstream(entry, provider_id, path, environ)
    if provider_id is ProviderId.CHATGPT:
        passthrough = passthrough or access_key is None
        presets.chatgpt_headers(headers, environ)
    if entry.base_url and presets.is_kimi_code(host, model):
        path_prefix = presets.kimi_code_path_prefix(path_prefix)
        presets.set_default_header(headers, "User-Agent", presets.KIMI_CODE_USER_AGENT)
    aws = (
        aws_settings(entry.aws, host, environ) if provider_id is ProviderId.AMAZON_BEDROCK else None
    )
    signed = aws is not None and aws.access_key_id is not None
    if not (access_key or passthrough or signed):
        warning = _keyless_warning(provider_id, entry.base_url is not None, host)
        if warning is not None:
            warnings.append(f"{format_path(path)}: {quote(model_string)} {warning}")
    return Provider(
        name=entry.name or model_string,
        provider_id=provider_id,
        prefix=prefix,
        model=model,
        scheme="https" if scheme == "https" else "http",
        host=host,
        port=port,
        path_prefix=path_prefix,
        access_key=None if passthrough else access_key,
        passthrough_auth=passthrough,
        http_host=entry.http_host or None,
        headers=headers,
        default=bool(entry.default),
        wildcard=wildcard,
        base_url=entry.base_url,
        aws=aws,
    )


def _split_model(entry: ModelProviderEntry, path: ConfigPath) -> tuple[str, str]:
    """The `<provider>` prefix and the model part of the entry's `model`."""
    prefix, _, model = entry.model.strip().partition("/")
    prefix, model = prefix.strip(), model.strip()
    if not prefix or not model:
        raise ConfigError(
            f'{quote(entry.model)} must be "<provider>/<model>" (e.g. "openai/gpt-4o"), '
            'or "<provider>/*" for every model of a provider',
            path=(*path, "model"),
        )
    if model != "*" and (model.endswith("/*") or "*" in model.split("/")):
        raise ConfigError(
            f'{quote(entry.model)}: a wildcard must be the whole model part, e.g. "openai/*"',
            path=(*path, "model"),
        )
    return prefix, model


def _check_placement(
    entry: ModelProviderEntry, provider_id: ProviderId, wildcard: bool, path: ConfigPath
) -> None:
    """Refuse settings the entry's kind cannot have (a default or preferences on a wildcard,
    aws settings on a provider other than Bedrock)."""
    if wildcard and entry.default:
        raise ConfigError(
            f"{quote(entry.model)} is a wildcard and cannot be the default; set default: true "
            "on a specific model instead",
            path=(*path, "default"),
        )
    if wildcard and entry.routing_preferences:
        raise ConfigError(
            f"{quote(entry.model)} is a wildcard and cannot have routing_preferences; "
            "list specific models in the top-level routing_preferences",
            path=(*path, "routing_preferences"),
        )
    if entry.aws is not None and provider_id is not ProviderId.AMAZON_BEDROCK:
        raise ConfigError(
            "aws settings are only for amazon_bedrock providers; remove them",
            path=(*path, "aws"),
        )


def _keyless_warning(provider_id: ProviderId, has_base_url: bool, host: str) -> str | None:
    """What goes wrong for a provider without credentials, or None when nothing does.

    The gateway refuses a keyless request only for a hosted service reached at its default
    address. With a `base_url` it forwards the request without credentials, which suits a
    local or self-hosted server; only a hosted service's own host will refuse it.
    """
    fix = "set access_key (e.g. $API_KEY)"
    if provider_id is ProviderId.AMAZON_BEDROCK:
        fix = "set access_key or AWS credentials (aws: or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
    if provider_id in _KEYED_PROVIDERS and not has_base_url:
        return (
            "has no access_key and passthrough_auth is off, so the gateway will reject its "
            f"requests; {fix}"
        )
    if _is_hosted_service(provider_id, host):
        return (
            f"has no access_key and passthrough_auth is off, so its requests reach {host} "
            f"without credentials and will be rejected there; {fix}"
        )
    return None


def _is_hosted_service(provider_id: ProviderId, host: str) -> bool:
    """True for the provider's own public host and for AWS and Azure cloud hosts."""
    endpoint = default_endpoint(provider_id)
    if endpoint is not None and host == endpoint.host:
        return True
    return host.endswith(_CLOUD_HOST_SUFFIXES)


_CLOUD_HOST_SUFFIXES = (
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
)


def _headers(given: Mapping[str, str], path: ConfigPath) -> dict[str, str]:
    """Header values without surrounding whitespace (a secret read from a file often ends
    with a newline); a line break inside a value or name is an error."""
    headers: dict[str, str] = {}
    for name, value in given.items():
        cleaned = value.strip()
        if any(char in f"{name}{cleaned}" for char in "\r\n") or not name.strip():
            raise ConfigError(
                "a header name or value contains a line break or is empty; check the "
                "variable it comes from",
                path=(*path, name),
            )
        headers[name] = cleaned
    return headers


def _provider_id(entry: ModelProviderEntry, prefix: str, path: ConfigPath) -> ProviderId:
    known = parse_provider_id(prefix)
    interface = entry.provider_interface
    if known is not None:
        if interface is not None:
            raise ConfigError(
                f"{quote(prefix)} is a known provider, so its interface is implied; remove "
                'provider_interface (it is only for unknown prefixes, e.g. "my_server/<model>")',
                path=(*path, "provider_interface"),
            )
        return known
    if interface is None or entry.base_url is None:
        raise ConfigError(
            f"unknown provider {quote(prefix)}: use a known provider prefix ({KNOWN_INTERFACES}) "
            "or set both base_url and provider_interface (e.g. provider_interface: openai) "
            "for a compatible server",
            path=(*path, "model"),
        )
    chosen = parse_provider_id(interface)
    if chosen is None or chosen.value != interface:
        raise ConfigError(
            f"{quote(interface)} is not a provider interface; use one of: {KNOWN_INTERFACES}",
            path=(*path, "provider_interface"),
        )
    return chosen


def _upstream(
    entry: ModelProviderEntry,
    provider_id: ProviderId,
    path: ConfigPath,
    environ: Mapping[str, str],
) -> tuple[str, str, int, str | None]:
    if entry.base_url:
        parts = split_url(entry.base_url, (*path, "base_url"))
        return parts.scheme, parts.host, parts.port, parts.path_prefix
    if provider_id is ProviderId.AMAZON_BEDROCK:
        region = aws_settings(entry.aws, "", environ).region
        if region:
            return "https", f"bedrock-runtime.{region}.amazonaws.com", 443, None
    endpoint = None if requires_base_url(provider_id) else default_endpoint(provider_id)
    if endpoint is None:
        example = _BASE_URL_EXAMPLES.get(provider_id, "https://my-server.example.com/v1")
        raise ConfigError(
            f"provider {quote(provider_id.value)} has no default address; set base_url "
            f"(e.g. base_url: {example}) for model {quote(entry.model)}",
            path=path,
        )
    return endpoint.scheme, endpoint.host, endpoint.port, None


_KEYED_PROVIDERS = frozenset(p for p in ProviderId if default_endpoint(p) is not None) | {
    ProviderId.AZURE_OPENAI,
    ProviderId.AMAZON_BEDROCK,
}

_BASE_URL_EXAMPLES = {
    ProviderId.AZURE_OPENAI: "https://<resource>.openai.azure.com",
    ProviderId.OLLAMA: "http://localhost:11434",
    ProviderId.AMAZON_BEDROCK: "https://bedrock-runtime.us-east-1.amazonaws.com",
    ProviderId.QWEN: "https://dashscope-intl.aliyuncs.com",
    ProviderId.PLANO: "http://localhost:11434",
}


def internal_providers(
    user_providers: Sequence[Provider],
    overrides: OverridesEntry | None,
    has_routing_preferences: bool,
) -> list[Provider]:
    """Providers the services call themselves: the router / orchestrator and Arch-Function."""
    model_ids = {p.model for p in user_providers}
    names = {p.name for p in user_providers}
    given = overrides or OverridesEntry()
    router = _model_id(given.llm_routing_model or ORCHESTRATOR_MODEL)
    orchestrator = _model_id(given.agent_orchestration_model or ORCHESTRATOR_MODEL)
    added: list[Provider] = []
    if has_routing_preferences and router not in model_ids:
        added.append(_hosted("plano-orchestrator", router))
    if "arch-function" not in names:
        added.append(_hosted("arch-function", ARCH_FUNCTION_MODEL))
    if orchestrator not in model_ids:
        added.append(_hosted("plano/orchestrator", orchestrator))
    return added


def _model_id(model: str) -> str:
    return model.split("/", 1)[1] if "/" in model else model


def _hosted(name: str, model: str) -> Provider:
    return Provider(
        name=name,
        provider_id=ProviderId.PLANO,
        prefix=ProviderId.PLANO.value,
        model=model,
        scheme="https",
        host=PLANO_HOSTED_HOST,
        port=443,
        internal=True,
    )


def migrate_inline_preferences(
    entries: Sequence[ModelProviderEntry],
    top_level: Sequence[RoutingPreference],
    warnings: list[str],
) -> list[RoutingPreference]:
    """Lift deprecated per-provider routing_preferences into the top-level list."""
    merged: dict[str, tuple[str, list[str]]] = {}
    for entry in entries:
        for preference in entry.routing_preferences or ():
            model = entry.model.strip()
            if preference.name not in merged:
                merged[preference.name] = (preference.description, [model])
                continue
            description, models = merged[preference.name]
            if preference.description != description:
                warnings.append(
                    f"routing preference {quote(preference.name)} has different descriptions "
                    "on several providers; the first one is kept"
                )
            if model not in models:
                models.append(model)
    if not merged:
        return list(top_level)
    warnings.append(
        "inline routing_preferences under model_providers are deprecated; they were moved to "
        "the top-level routing_preferences list (see docs/config.md)"
    )
    existing = {p.name for p in top_level}
    lifted = [
        RoutingPreference(name=name, description=description, models=tuple(models))
        for name, (description, models) in merged.items()
        if name not in existing
    ]
    return [*top_level, *lifted]
