"""The prompt-gateway ASGI application: `/healthz`, `/metrics` and `/v1/chat/completions`.

The same app serves :10001 and the config's prompt listener (`type: prompt`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hermesllm.apis import ClientApi
from plano_common.access_log import access_log_writer_from_env
from plano_common.config.types import PlanoConfig
from plano_common.errors import GatewayError
from plano_common.metrics import render_metrics
from plano_common.tracing import Tracing
from prompt_gateway.developer_api import DeveloperApi
from prompt_gateway.egress import Egress
from prompt_gateway.endpoint import ChatEndpoint
from prompt_gateway.errors import FUNCTION_CALLING_HOST
from prompt_gateway.flow import PromptFlow
from prompt_gateway.guard import JailbreakGuard
from prompt_gateway.intent import IntentClient
from prompt_gateway.metrics import PromptMetrics
from prompt_gateway.observe import Observer
from prompt_gateway.settings import PromptSettings, settings_from
from prompt_gateway.upstream import Callouts, endpoint_target, url_target

__all__ = ["CHAT_PATH", "PromptGateway", "build_app"]

CHAT_PATH = "/v1/chat/completions"
SERVICE_NAME = "prompt_gateway"


class PromptGateway:
    """Everything one prompt-gateway process holds: settings, clients, metrics, the flow."""

    def __init__(
        self,
        config: PlanoConfig,
        environ: Mapping[str, str] | None = None,
        *,
        span_processor: SpanProcessor | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.config = config
        self.settings = settings = settings_from(config, env)
        self.callouts = Callouts(settings.max_upstream_bytes)
        self.metrics = PromptMetrics(target.name for target in config.prompt_targets)
        self.tracing = Tracing(SERVICE_NAME, config.tracing, processor=span_processor)
        self._closed = False
        self.observer = Observer(self.metrics, self.tracing, access_log_writer_from_env(env))
        self.flow = PromptFlow(
            config,
            intent=IntentClient(
                self.callouts,
                self._url("function_calling", settings.function_calling_url),
                settings.function_calling_timeout,
            ),
            api=DeveloperApi(
                self.callouts,
                {
                    name: endpoint_target(ep, settings.connect_timeout, settings.tls_ca_path)
                    for name, ep in config.endpoints.items()
                },
                settings.api_timeout,
            ),
            egress=Egress(
                self.callouts, self._url("llm", settings.egress_url), settings.llm_timeout
            ),
            guard=self._guard(config, settings),
            observer=self.observer,
        )

    def _url(self, name: str, url: str) -> Any:
        host = FUNCTION_CALLING_HOST if name == "function_calling" else name
        return url_target(host, url, self.settings.connect_timeout, self.settings.tls_ca_path)

    def _guard(self, config: PlanoConfig, settings: PromptSettings) -> JailbreakGuard | None:
        guards = config.prompt_guards
        if guards is None:
            return None
        return JailbreakGuard(
            self.callouts,
            self._url("guard", settings.guard_url) if settings.guard_url else None,
            timeout=settings.guard_timeout,
            threshold=settings.guard_threshold,
            on_error=settings.guard_on_error,
            message=guards.input_guards.jailbreak.on_exception.message,
        )

    async def aclose(self) -> None:
        """Close upstream connections, flush the access log and the span exporter (once)."""
        self.observer.access_log.flush()
        if self._closed:
            return
        self._closed = True
        await self.callouts.close()
        self.tracing.shutdown()


async def _healthz(_: Request) -> PlainTextResponse:
    """Liveness: 200 while the process serves requests."""
    return PlainTextResponse("ok")


async def _http_error(_: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    error = GatewayError("no such route" if status == 404 else "request refused", status=status)
    return Response(error.render(ClientApi.CHAT), status, media_type="application/json")


def build_app(config: Any, gateway: PromptGateway | None = None) -> Starlette:
    """Build the application for a loaded config (the entry the service runner calls)."""
    service = gateway or PromptGateway(config)

    async def metrics(request: Request) -> Response:
        body, content_type = render_metrics(service.metrics.registry, request.headers.get("accept"))
        return Response(body, 200, media_type=content_type)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await service.aclose()

    app = Starlette(
        routes=[
            Route("/healthz", _healthz, methods=["GET", "HEAD"]),
            Route("/metrics", metrics, methods=["GET", "HEAD"]),
            Route(CHAT_PATH, ChatEndpoint(service.flow, service.observer)),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.gateway = service
    return app
