"""Provider selection and the per-provider upstream details, computed once and cached.

The hint header and the body model are checked with ``plano_common.model_ids.check_model_id``
before any lookup, and the route table also builds, once per config, the bounded metric labels
of the configured models and the scrubber of every configured secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from yarl import URL

from hermesllm.apis import ClientApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import upstream_path
from llm_gateway.auth import ProviderAuth, UpstreamTarget, client_credential
from llm_gateway.sigv4 import AwsCredentials
from plano_common.config.types import PlanoConfig, Provider
from plano_common.errors import BadRequest, ModelNotFound
from plano_common.metric_labels import DEFAULT_WILDCARD_MODELS, ModelLabels
from plano_common.model_ids import DEFAULT_MAX_MODEL_ID_LENGTH, check_model_id
from plano_common.providers import ProviderTable
from plano_common.secret_scrub import SecretScrubber, secret_forms

__all__ = [
    "PROVIDER_HINT_HEADER",
    "ProviderRoute",
    "RouteTable",
    "configured_secrets",
    "provider_auth",
]

PROVIDER_HINT_HEADER = "x-arch-llm-provider-hint"
_ROUTE_CACHE_LIMIT = 4096


@dataclass(slots=True)
class ProviderRoute:
    """A resolved provider with everything needed to reach it."""

    name: str
    provider_id: ProviderId
    model: str
    scheme: str
    host: str
    port: int
    path_prefix: str | None
    http_host: str | None
    auth: ProviderAuth
    _targets: dict[tuple[ClientApi, bool], tuple[UpstreamTarget, URL]] = field(default_factory=dict)

    def _build(self, client: ClientApi, streaming: bool) -> tuple[UpstreamTarget, URL]:
        full = upstream_path(
            self.provider_id, client, self.model, streaming, base_url_path_prefix=self.path_prefix
        )
        path, _, query = full.partition("?")
        target = UpstreamTarget(self.scheme, self.host, self.port, path, query, self.http_host)
        suffix = f"?{query}" if query else ""
        url = URL(f"{self.scheme}://{target.authority}{path}{suffix}", encoded=True)
        return target, url

    def client_secret(self, headers: Mapping[str, str]) -> tuple[bytes, ...]:
        """The forms of the client's own key when this provider passes it upstream (it must
        then be masked in what the upstream answers), else nothing."""
        return secret_forms(client_credential(headers)) if self.auth.passthrough else ()

    def target(self, client: ClientApi, streaming: bool) -> UpstreamTarget:
        """Upstream address and path for a request of `client` API."""
        return self._lookup(client, streaming)[0]

    def url(self, client: ClientApi, streaming: bool) -> URL:
        """The full upstream URL for a request of `client` API."""
        return self._lookup(client, streaming)[1]

    def _lookup(self, client: ClientApi, streaming: bool) -> tuple[UpstreamTarget, URL]:
        key = (client, streaming)
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = self._build(client, streaming)
        return found


def provider_auth(provider: Provider) -> ProviderAuth:
    """The credentials of a provider; a Bedrock provider's AWS region and keys come from the
    config (`Provider.aws`, which already consulted the host and the environment)."""
    aws_credentials: AwsCredentials | None = None
    region: str | None = None
    aws = provider.aws if provider.provider_id is ProviderId.AMAZON_BEDROCK else None
    if aws is not None:
        region = aws.region
        if aws.access_key_id and aws.secret_access_key:
            aws_credentials = AwsCredentials(
                aws.access_key_id, aws.secret_access_key, aws.session_token
            )
    return ProviderAuth(
        name=provider.name,
        provider_id=provider.provider_id,
        access_key=provider.access_key or None,
        passthrough=provider.passthrough_auth,
        has_base_url=provider.base_url is not None,
        extra_headers=dict(provider.headers),
        aws_credentials=aws_credentials,
        aws_region=region,
    )


class RouteTable:
    """Picks the provider of a request: hint header, else body model (aliases, wildcards),
    else the default provider. Unknown names are errors, never a silent fallback."""

    def __init__(
        self,
        config: PlanoConfig,
        environ: Mapping[str, str] | None = None,
        *,
        max_model_id_length: int = DEFAULT_MAX_MODEL_ID_LENGTH,
    ) -> None:
        self.providers = ProviderTable(config)
        self._environ = os.environ if environ is None else environ
        self._routes: dict[tuple[str, str], ProviderRoute] = {}
        self._known = [p.name for p in config.model_providers if not p.internal]
        self._max_model_id_length = max_model_id_length
        self.scrubber = SecretScrubber(configured_secrets(config, self._environ))

    def model_labels(self, wildcard_models: int = DEFAULT_WILDCARD_MODELS) -> ModelLabels:
        """Bounded metric labels knowing every configured (provider, model) pair, including
        the catalog models a wildcard expands to."""
        entries = [p for p in self.providers.providers if not p.wildcard]
        for listed in self.providers.models_listing()["data"]:
            found = self.providers.resolve(listed["id"])
            if found is not None:
                entries.append(found)
        configured = [(p.name, p.model) for p in entries]
        return ModelLabels(configured, wildcard_models=wildcard_models)

    def route_for(self, provider: Provider) -> ProviderRoute:
        """The cached route of a resolved provider."""
        key = (provider.name, provider.model)
        route = self._routes.get(key)
        if route is None:
            if len(self._routes) >= _ROUTE_CACHE_LIMIT:
                self._routes.clear()
            route = ProviderRoute(
                name=provider.name,
                provider_id=provider.provider_id,
                model=provider.model,
                scheme=provider.scheme,
                host=provider.host,
                port=provider.port,
                path_prefix=provider.path_prefix,
                http_host=provider.http_host,
                auth=provider_auth(provider),
            )
            self._routes[key] = route
        return route

    def select(self, hint: str | None, requested_model: str | None) -> ProviderRoute:
        """The route of a request from its hint header and body model (each checked first)."""
        limit = self._max_model_id_length
        if hint:
            check_model_id(
                hint, max_length=limit, source=f"the {PROVIDER_HINT_HEADER} header", param=None
            )
        if requested_model:
            check_model_id(requested_model, max_length=limit)
        name = hint or requested_model
        if not name:
            return self.route_for(self._default())
        if name == "default":
            return self.route_for(self._default())
        found = self.providers.resolve_model(name)
        if found is None:
            raise ModelNotFound(name, self._known)
        return self.route_for(found)

    def _default(self) -> Provider:
        default = self.providers.default
        if default is None:
            raise BadRequest(
                "the request names no model and no default provider is configured; "
                "send `model` or mark one model_providers entry `default: true`",
                param="model",
            )
        return default


def configured_secrets(config: PlanoConfig, environ: Mapping[str, str]) -> list[str]:
    """Every secret the gateway sends upstream: access keys and AWS keys (config, else the
    environment when a Bedrock provider signs with it)."""
    secrets: list[str] = []
    bedrock = False
    for provider in config.model_providers:
        if provider.access_key:
            secrets.append(provider.access_key)
        aws = provider.aws
        if aws is not None:
            secrets.extend(
                s for s in (aws.secret_access_key, aws.session_token, aws.access_key_id) if s
            )
        bedrock = bedrock or provider.provider_id is ProviderId.AMAZON_BEDROCK
    if bedrock:
        names = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
        secrets.extend(environ[name] for name in names if environ.get(name))
    return secrets
