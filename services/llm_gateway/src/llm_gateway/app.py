"""The llm-gateway ASGI application: a small router in front of the request pipeline.

A hand-written ASGI router keeps the per-request cost of the hot paths low; the handful of
GET endpoints do not need a framework either.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from typing import Any

import msgspec
from opentelemetry.sdk.trace import SpanProcessor

from hermesllm.apis import ClientApi, client_api_for_path
from llm_gateway.access_log import AccessLog, access_log_from_env
from llm_gateway.asgi import (
    JSON_CONTENT_TYPE,
    Receive,
    Scope,
    Send,
    request_headers,
    send_response,
)
from llm_gateway.metrics import GatewayMetrics
from llm_gateway.observe import Observer
from llm_gateway.pipeline import Pipeline
from llm_gateway.ratelimiting import TokenLimits, rules_from_config
from llm_gateway.routes import RouteTable
from llm_gateway.settings import GatewaySettings, settings_from
from llm_gateway.tracer import gateway_tracing
from llm_gateway.transport import UpstreamTransport
from plano_common.config.types import PlanoConfig
from plano_common.errors import GatewayError, NotFound
from plano_common.metrics import render_metrics

_TEXT = (b"content-type", b"text/plain; charset=utf-8")


def gateway_settings(config: PlanoConfig, environ: Mapping[str, str]) -> GatewaySettings:
    """The gateway's knobs from the config's model listener and overrides plus the environment."""
    listener = config.model_listener
    return settings_from(
        listener_timeout=listener.timeout_seconds,
        listener_max_retries=listener.max_retries,
        connect_timeout=config.overrides.upstream_connect_timeout_seconds,
        tls_ca_path=config.overrides.upstream_tls_ca_path,
        prompt_cache_min_tokens=_prompt_cache_min_tokens(config),
        environ=environ,
    )


def _prompt_cache_min_tokens(config: PlanoConfig) -> int | None:
    """The minimum cached prefix when prompt-cache breakpoints are switched on, else None."""
    caching = config.prompt_caching
    if caching.enabled and caching.inject_cache_control:
        return caching.min_prefix_tokens
    return None


class GatewayApp:
    """ASGI callable serving the gateway's endpoints."""

    def __init__(
        self,
        config: PlanoConfig,
        environ: Mapping[str, str] | None = None,
        *,
        span_processor: SpanProcessor | None = None,
        access_log: AccessLog | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.config = config
        self.settings = gateway_settings(config, env)
        self.metrics = GatewayMetrics()
        self.routes = RouteTable(config, env)
        self.transport = UpstreamTransport(self.settings)
        self.limits = TokenLimits(
            rules_from_config(config.ratelimits), self.settings, self.metrics.registry
        )
        self.tracing = gateway_tracing(config, span_processor)
        self.access_log = access_log or access_log_from_env(env)
        self.observer = Observer(self.metrics, self.tracing, self.access_log)
        self.pipeline = Pipeline(
            self.settings, self.routes, self.transport, self.limits, self.observer
        )
        self.metrics.watch(self.transport.open_connections)
        self._models_body = msgspec.json.encode(self.routes.providers.models_listing())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            client = client_api_for_path(path)
            if client is not None:
                if scope["method"] == "POST":
                    await self.pipeline(client, scope, receive, send)
                else:
                    await _method_not_allowed(send, client, "POST")
                return
            await self._serve_get(scope, path, scope["method"], send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _serve_get(self, scope: Scope, path: str, method: str, send: Send) -> None:
        if path in ("/healthz", "/v1/models", "/metrics") and method not in ("GET", "HEAD"):
            await _method_not_allowed(send, ClientApi.CHAT, "GET")
        elif path == "/healthz":
            await send_response(send, 200, b"ok", [_TEXT])
        elif path == "/v1/models":
            await send_response(send, 200, self._models_body, [JSON_CONTENT_TYPE])
        elif path == "/metrics":
            accept = request_headers(scope).get("accept")
            body, content_type = render_metrics(self.metrics.registry, accept)
            await send_response(send, 200, body, [(b"content-type", content_type.encode())])
        else:
            error = NotFound(f"no route for {method} {path}")
            await send_response(send, 404, error.render(ClientApi.CHAT), [JSON_CONTENT_TYPE])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Close upstream connections and the rate-limit backend."""
        self.access_log.flush()
        await self.transport.close()
        await self.limits.aclose()
        if self.tracing is not None:
            self.tracing.shutdown()


async def _method_not_allowed(send: Send, client: ClientApi, allowed: str) -> None:
    error = GatewayError(f"method not allowed; use {allowed}", status=405)
    headers = [JSON_CONTENT_TYPE, (b"allow", allowed.encode())]
    await send_response(send, 405, error.render(client), headers)


def build_app(config: Any) -> GatewayApp:
    """Build the application for a loaded config (the entry the service runner calls)."""
    return GatewayApp(config)
