"""The brightstaff service: its parts, built once per process, and the apps of its ports.

- the internal API (:9091 by default, `--host/--port`): `/healthz`, `/metrics`, `/v1/models`,
  the LLM path (as the first model listener), and the routes plugins add (routing API, state);
- every `type: model` listener of the config on its own address: the LLM path, `/v1/models`,
  `/healthz` and the plugins' listener routes;
- `/metrics` on its own port (:9092 by default) through the shared runner.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor

from brightstaff.egress import Egress, EgressChatCompleter
from brightstaff.listeners import ListenerApp
from brightstaff.llm_path import LlmPath, PathLimits
from brightstaff.metrics import BrightstaffMetrics
from brightstaff.models import Models
from brightstaff.observe import Observer
from brightstaff.request import RequestParser
from brightstaff.settings import BrightstaffSettings, settings_from
from brightstaff.steps import ServiceSteps, StepContext, build_steps
from plano_common.access_log import AccessLogWriter, access_log_writer_from_env
from plano_common.config.types import Listener as ListenerConfig
from plano_common.config.types import PlanoConfig
from plano_common.tracing import PLANO, Tracing, setup_tracing

__all__ = ["Brightstaff", "build_app"]


class Brightstaff:
    """Every part of a running brightstaff, shared by the apps of its ports."""

    def __init__(
        self,
        config: PlanoConfig,
        environ: Mapping[str, str] | None = None,
        *,
        span_processor: SpanProcessor | None = None,
        access_log: AccessLogWriter | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.config = config
        self.settings: BrightstaffSettings = settings_from(config, env)
        self.models = Models(config)
        self.parser = RequestParser(self.models)
        self.metrics = BrightstaffMetrics()
        self.tracing = _tracing(config, span_processor)
        self.egress = Egress(self.settings)
        self.access_log = access_log or access_log_writer_from_env(env)
        self.observer = Observer(self.metrics, self.tracing, self.access_log)
        context = StepContext(
            config=config,
            environ=env,
            models=self.models,
            parser=self.parser,
            egress=EgressChatCompleter(self.egress),
            metrics=self.metrics,
            tracing=self.tracing,
        )
        self.steps: ServiceSteps = build_steps(context)
        self.model_listeners = tuple(item for item in config.listeners if item.type == "model")
        self._closed = False
        self._started = False

    def llm_path(self, listener: ListenerConfig) -> LlmPath:
        """The LLM path of one model listener."""
        settings = self.settings
        limits = PathLimits(
            max_body_bytes=settings.max_body_bytes,
            request_timeout=listener.timeout_seconds,
        )
        return LlmPath(
            listener=listener.name,
            parser=self.parser,
            egress=self.egress,
            steps=self.steps.steps,
            observer=self.observer,
            limits=limits,
        )

    def internal_app(self) -> ListenerApp:
        """The app of the internal API port."""
        routes = (*self.steps.internal_routes, *self.steps.listener_routes)
        return ListenerApp(
            "internal",
            self.llm_path(self.model_listeners[0]),
            self.models.listing_body,
            self.metrics,
            routes=routes,
            serve_metrics=True,
            on_shutdown=self.aclose,
            on_startup=self.astart,
        )

    def listener_app(self, listener: ListenerConfig) -> ListenerApp:
        """The app of one model listener."""
        return ListenerApp(
            listener.name,
            self.llm_path(listener),
            self.models.listing_body,
            self.metrics,
            routes=self.steps.listener_routes,
            on_shutdown=self.aclose,
            on_startup=self.astart,
        )

    async def astart(self) -> None:
        """Start the plugins' resources (once, whichever port starts first)."""
        if self._started:
            return
        self._started = True
        await self.steps.astart()
        # What is alive once started (config, catalogs, compiled data) lives as long as the
        # process: kept out of the collector's passes, it no longer lengthens their pauses.
        gc.collect()
        gc.freeze()

    async def aclose(self) -> None:
        """Release connections, flush the access log and spans (once)."""
        if self._closed:
            return
        self._closed = True
        self.access_log.flush()
        await self.steps.aclose()
        await self.egress.close()
        if self.tracing is not None:
            self.tracing.shutdown()


def _tracing(config: PlanoConfig, processor: SpanProcessor | None) -> Tracing | None:
    """The tracing handle when spans are recorded, else None (trace context still passes)."""
    if config.tracing is None and processor is None:
        return None
    tracing = setup_tracing(PLANO, config.tracing, processor=processor, set_global=False)
    return tracing if tracing.enabled else None


def build_app(config: Any) -> ListenerApp:
    """The internal API app for a loaded config (model listeners need `build_listeners`)."""
    return Brightstaff(config).internal_app()
