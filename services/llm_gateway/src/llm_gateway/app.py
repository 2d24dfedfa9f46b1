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
from llm_gateway.count_tokens import COUNT_TOKENS_PATH, CountTokensEndpoint
from llm_gateway.metrics import GatewayMetrics
from llm_gateway.observe import Observer
from llm_gateway.pipeline import Pipeline
from llm_gateway.ratelimiting import TokenLimits, rules_from_config
from llm_gateway.routes import RouteTable
from llm_gateway.settings import GatewaySettings, settings_from
from llm_gateway.tracer import gateway_tracing
from llm_gateway.transport import UpstreamTransport
from llm_gateway.upstream_slots import PoolMetrics
from plano_common.clip import clip
from plano_common.config.types import PlanoConfig
from plano_common.errors import GatewayError, NotFound
from plano_common.metrics import render_metrics
from plano_common.token_counter import AsyncTokenCounter

__all__ = ["MODEL_PATH_PREFIX", "GatewayApp", "build_app", "gateway_settings"]

_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_GET_PATHS = frozenset({"/healthz", "/v1/models", "/metrics"})
MODEL_PATH_PREFIX = "/v1/models/"


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
        self.routes = RouteTable(config, env, max_model_id_length=self.settings.max_model_id_length)
        self.metrics = GatewayMetrics(
            self.routes.model_labels(self.settings.metrics_wildcard_models)
        )
        self.transport = UpstreamTransport(self.settings, PoolMetrics(self.metrics.registry))
        self.tokens = AsyncTokenCounter(self.settings.tokenizer)
        self.limits = TokenLimits(
            rules_from_config(config.ratelimits), self.settings, self.metrics.registry
        )
        self.tracing = gateway_tracing(config, span_processor)
        self.access_log = access_log or access_log_from_env(env)
        self.observer = Observer(self.metrics, self.tracing, self.access_log)
        self.pipeline = Pipeline(
            self.settings, self.routes, self.transport, self.limits, self.observer, self.tokens
        )
        self.count_tokens = CountTokensEndpoint(
            self.settings, self.routes, self.transport, self.tokens, self.access_log
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
            if path == COUNT_TOKENS_PATH:
                if scope["method"] == "POST":
                    await self.count_tokens(scope, receive, send)
                else:
                    await _method_not_allowed(send, ClientApi.MESSAGES, "POST")
                return
            await self._serve_get(scope, path, scope["method"], send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _serve_get(self, scope: Scope, path: str, method: str, send: Send) -> None:
        is_model = path.startswith(MODEL_PATH_PREFIX)
        if (path in _GET_PATHS or is_model) and method not in ("GET", "HEAD"):
            await _method_not_allowed(send, ClientApi.CHAT, "GET")
        elif path == "/healthz":
            await send_response(send, 200, b"ok", [_TEXT])
        elif path == "/v1/models":
            await send_response(send, 200, self._models_body, [JSON_CONTENT_TYPE])
        elif is_model:
            await self._serve_model(path.removeprefix(MODEL_PATH_PREFIX), send)
        elif path == "/metrics":
            accept = request_headers(scope).get("accept")
            body, content_type = render_metrics(self.metrics.registry, accept)
            await send_response(send, 200, body, [(b"content-type", content_type.encode())])
        else:
            error = NotFound(f"no route for {method} {path}")
            await send_response(send, 404, error.render(ClientApi.CHAT), [JSON_CONTENT_TYPE])

    async def _serve_model(self, model_id: str, send: Send) -> None:
        """GET /v1/models/{id}: one model object, or OpenAI's model_not_found 404."""
        entry = self.routes.providers.model_entry(model_id, self.settings.max_model_id_length)
        if entry is None:
            error = NotFound(
                f"The model '{clip(model_id)}' does not exist",
                error_type="invalid_request_error",
                code="model_not_found",
                param="model",
            )
            await send_response(send, 404, error.render(ClientApi.CHAT), [JSON_CONTENT_TYPE])
            return
        await send_response(send, 200, msgspec.json.encode(entry), [JSON_CONTENT_TYPE])

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
        self.tokens.close()
        if self.tracing is not None:
            self.tracing.shutdown()


async def _method_not_allowed(send: Send, client: ClientApi, allowed: str) -> None:
    error = GatewayError(f"method not allowed; use {allowed}", status=405)
    headers = [JSON_CONTENT_TYPE, (b"allow", allowed.encode())]
    await send_response(send, 405, error.render(client), headers)


def build_app(config: Any) -> GatewayApp:
    """Build the application for a loaded config (the entry the service runner calls)."""
    return GatewayApp(config)
