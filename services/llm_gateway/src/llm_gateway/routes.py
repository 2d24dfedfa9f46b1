"""Provider selection and the per-provider upstream details, computed once and cached."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from yarl import URL

from hermesllm.apis import ClientApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import upstream_path
from llm_gateway.auth import (
    ProviderAuth,
    UpstreamTarget,
    aws_credentials_from_env,
    region_from_host,
)
from llm_gateway.sigv4 import AwsCredentials
from plano_common.config.types import PlanoConfig, Provider
from plano_common.errors import BadRequest, ModelNotFound
from plano_common.providers import ProviderTable

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


def provider_auth(provider: Provider, environ: Mapping[str, str]) -> ProviderAuth:
    """The credentials of a provider (AWS keys from its config, else the environment)."""
    aws_credentials: AwsCredentials | None = None
    region: str | None = None
    if provider.provider_id is ProviderId.AMAZON_BEDROCK:
        aws = provider.aws
        if aws is not None and aws.access_key_id and aws.secret_access_key:
            aws_credentials = AwsCredentials(
                aws.access_key_id, aws.secret_access_key, aws.session_token
            )
        else:
            aws_credentials = aws_credentials_from_env(environ)
        region = (aws.region if aws is not None else None) or region_from_host(provider.host)
        region = region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
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

    def __init__(self, config: PlanoConfig, environ: Mapping[str, str] | None = None) -> None:
        self.providers = ProviderTable(config)
        self._environ = os.environ if environ is None else environ
        self._routes: dict[tuple[str, str], ProviderRoute] = {}
        self._known = [p.name for p in config.model_providers if not p.internal]

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
                auth=provider_auth(provider, self._environ),
            )
            self._routes[key] = route
        return route

    def select(self, hint: str | None, requested_model: str | None) -> ProviderRoute:
        """The route of a request from its hint header and body model."""
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
