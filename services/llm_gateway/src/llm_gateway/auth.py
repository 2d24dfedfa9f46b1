"""Upstream request headers: client header hygiene, credentials per provider, extra headers.

The client's own credentials never reach an upstream unless the provider has
`passthrough_auth`; then the client's key is re-sent in the header the upstream expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hermesllm.apis import UpstreamApi
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import auth_headers
from llm_gateway.sigv4 import AwsCredentials, sign_headers
from plano_common.errors import BadRequest

__all__ = [
    "ANTHROPIC_VERSION",
    "CREDENTIAL_HEADERS",
    "DEFAULT_SIGNING_REGION",
    "HOP_BY_HOP",
    "ProviderAuth",
    "UpstreamTarget",
    "build_upstream_headers",
    "client_credential",
    "forwardable_headers",
]

ANTHROPIC_VERSION = "2023-06-01"
# Signing region of a Bedrock provider whose config names none (`Provider.aws.region` is the
# region from its `aws:` block, its `base_url` host or the environment).
DEFAULT_SIGNING_REGION = "us-east-1"

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_ALWAYS_DROPPED = HOP_BY_HOP | {"host", "content-length", "accept-encoding", "expect", "cookie"}
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-security-token",
        "x-amz-date",
        "x-amz-content-sha256",
        "openai-organization",
        "openai-project",
    }
)
_INTERNAL_PREFIXES = ("x-arch-", "x-plano-")


@dataclass(frozen=True, slots=True)
class UpstreamTarget:
    """Where a request goes: enough to sign it and to set Host."""

    scheme: str
    host: str
    port: int
    path: str
    query: str
    http_host: str | None = None

    @property
    def authority(self) -> str:
        """host[:port] as the Host header shows it (default ports omitted)."""
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ProviderAuth:
    """The credential settings of one provider, resolved once at startup."""

    name: str
    provider_id: ProviderId
    access_key: str | None
    passthrough: bool
    has_base_url: bool
    extra_headers: Mapping[str, str]
    aws_credentials: AwsCredentials | None = None
    aws_region: str | None = None


def client_credential(headers: Mapping[str, str]) -> str | None:
    """The key a client sent: `Authorization: Bearer K`, `x-api-key`, `api-key` or
    `x-goog-api-key`."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, rest = authorization.partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest.strip() else authorization
    for name in ("x-api-key", "api-key", "x-goog-api-key"):
        value = headers.get(name)
        if value:
            return value
    return None


def forwardable_headers(client_headers: Mapping[str, str], upstream: UpstreamApi) -> dict[str, str]:
    """Client headers minus hop-by-hop, credentials, internal routing headers and headers
    that belong to another API family."""
    connection_listed = {
        token.strip().lower() for token in client_headers.get("connection", "").split(",")
    }
    keep_anthropic = upstream is UpstreamApi.MESSAGES
    out: dict[str, str] = {}
    for name, value in client_headers.items():
        if (
            name in _ALWAYS_DROPPED
            or name in CREDENTIAL_HEADERS
            or name in connection_listed
            or name.startswith(_INTERNAL_PREFIXES)
            or (not keep_anthropic and name.startswith("anthropic-"))
        ):
            continue
        out[name] = value
    return out


def build_upstream_headers(
    auth: ProviderAuth,
    upstream: UpstreamApi,
    client_headers: Mapping[str, str],
    target: UpstreamTarget,
    body: bytes,
) -> dict[str, str]:
    """Every header of the upstream request except Content-Length."""
    headers = forwardable_headers(client_headers, upstream)
    headers["content-type"] = "application/json"
    headers["host"] = target.http_host or target.authority
    key: str | None
    if auth.passthrough:
        key = client_credential(client_headers)
    else:
        key = auth.access_key or None
    if upstream is UpstreamApi.MESSAGES:
        headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
    aws = auth.aws_credentials if auth.provider_id is ProviderId.AMAZON_BEDROCK else None
    if key is not None:
        for name, value in auth_headers(auth.provider_id, upstream, key).items():
            if name == "anthropic-version":
                headers.setdefault(name, value)
            else:
                headers[name] = value
    elif aws is None and not auth.passthrough and not auth.has_base_url:
        raise BadRequest(f'No access key configured for selected LLM Provider "{auth.name}"')
    headers.update(auth.extra_headers)
    if key is None and aws is not None:
        region = auth.aws_region or DEFAULT_SIGNING_REGION
        headers.update(
            sign_headers(
                method="POST",
                host=headers["host"],
                path=target.path,
                query=target.query,
                headers={"content-type": headers["content-type"]},
                body=body,
                credentials=aws,
                region=region,
                service="bedrock",
            )
        )
    return headers
