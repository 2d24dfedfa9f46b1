"""Where a service reaches the LLM gateway (its egress): `LLM_PROVIDER_ENDPOINT`, else the
config's `endpoints.llm_gateway`, else the gateway's default address."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from plano_common.config.types import PlanoConfig

__all__ = ["DEFAULT_EGRESS_URL", "EGRESS_ENDPOINT_NAME", "EGRESS_URL_VARIABLE", "egress_url"]

DEFAULT_EGRESS_URL = "http://127.0.0.1:12001"
EGRESS_ENDPOINT_NAME = "llm_gateway"
EGRESS_URL_VARIABLE = "LLM_PROVIDER_ENDPOINT"


def egress_url(
    config: PlanoConfig, environ: Mapping[str, str], *, error: type[ValueError] = ValueError
) -> str:
    """The egress base URL without a trailing slash; a variable that is not an http(s) URL
    raises `error` naming it."""
    raw = environ.get(EGRESS_URL_VARIABLE, "").strip()
    if raw:
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise error(f"{EGRESS_URL_VARIABLE}: expected an http(s) URL, got {raw[:200]!r}")
        return raw.rstrip("/")
    endpoint = config.endpoints.get(EGRESS_ENDPOINT_NAME)
    if endpoint is None:
        return DEFAULT_EGRESS_URL
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    prefix = (endpoint.path_prefix or "").rstrip("/")
    return f"{endpoint.protocol}://{host}:{endpoint.port}{prefix}"
