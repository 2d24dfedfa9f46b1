"""OpenTelemetry setup for the services: sampling, OTLP export, W3C trace context, attributes.

Each component reports under its own service name (``plano``, ``plano(llm)``, ...): the
:class:`Tracing` handle keeps one tracer provider per component, all feeding the same span
processor. Export goes through a ``BatchSpanProcessor`` (a background thread with a bounded
queue), so ending a span never waits on the collector.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Protocol

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from plano_common.headers import header_value

__all__ = [
    "AGENT",
    "FILTER",
    "INBOUND",
    "LLM",
    "ORCHESTRATOR",
    "PLANO",
    "ROUTING",
    "TRACEPARENT_HEADER",
    "TRACESTATE_HEADER",
    "SpanAttributeSettings",
    "Tracing",
    "TracingSettings",
    "current_traceparent",
    "custom_span_attributes",
    "extract_context",
    "inject_headers",
    "otlp_processor",
    "sampler_for",
    "setup_tracing",
    "trace_id_hex",
]

logger = logging.getLogger(__name__)

TRACEPARENT_HEADER = "traceparent"
TRACESTATE_HEADER = "tracestate"

PLANO = "plano"
INBOUND = "plano(inbound)"
ROUTING = "plano(routing)"
ORCHESTRATOR = "plano(orchestrator)"
FILTER = "plano(filter)"
AGENT = "plano(agent)"
LLM = "plano(llm)"


class SpanAttributeSettings(Protocol):
    """``tracing.span_attributes`` of the config."""

    @property
    def static(self) -> Mapping[str, str]: ...

    @property
    def header_prefixes(self) -> Sequence[str]: ...


class TracingSettings(Protocol):
    """The ``tracing`` section of the config (normalized)."""

    @property
    def random_sampling(self) -> int: ...

    @property
    def opentracing_grpc_endpoint(self) -> str | None: ...

    @property
    def span_attributes(self) -> SpanAttributeSettings: ...


_propagator = TraceContextTextMapPropagator()


class _HeaderGetter(Getter[Mapping[str, str]]):
    """Reads headers case-insensitively from any string mapping."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = header_value(carrier, key)
        return None if value is None else [value]

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier.keys())


_getter = _HeaderGetter()


def extract_context(headers: Mapping[str, str]) -> Context:
    """The trace context of an incoming request (its W3C ``traceparent`` / ``tracestate``)."""
    return _propagator.extract(headers, getter=_getter)


def inject_headers(headers: MutableMapping[str, str], context: Context | None = None) -> None:
    """Write ``traceparent`` (and ``tracestate``) of ``context`` or the current span."""
    _propagator.inject(headers, context=context)


def current_traceparent() -> str | None:
    """The ``traceparent`` value of the current span, or None outside a valid span."""
    carrier: dict[str, str] = {}
    inject_headers(carrier)
    return carrier.get(TRACEPARENT_HEADER)


def trace_id_hex(span: Span | None = None) -> str | None:
    """The 32-hex-digit trace id of ``span`` (default: the current span), None if invalid."""
    context = (span or trace.get_current_span()).get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def custom_span_attributes(
    headers: Mapping[str, str], settings: SpanAttributeSettings | None
) -> dict[str, str]:
    """Static attributes, then one per header matching a prefix (prefix removed, ``-`` → ``.``)."""
    if settings is None:
        return {}
    attributes = dict(settings.static)
    prefixes = [prefix.lower() for prefix in settings.header_prefixes if prefix]
    if not prefixes:
        return attributes
    for name, value in headers.items():
        lowered = name.lower()
        prefix = next((p for p in prefixes if lowered.startswith(p)), None)
        if prefix is None:
            continue
        key = lowered[len(prefix) :].lstrip("-").replace("-", ".")
        if key:
            attributes[key] = value.strip()
    return attributes


def sampler_for(random_sampling: int) -> Sampler:
    """Sample ``random_sampling`` percent of new traces; follow the caller's decision otherwise."""
    if random_sampling <= 0:
        return ALWAYS_OFF
    return ParentBased(root=TraceIdRatioBased(min(random_sampling, 100) / 100))


def otlp_processor(endpoint: str) -> SpanProcessor:
    """A batching processor exporting over OTLP/gRPC to ``endpoint``."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    return BatchSpanProcessor(exporter)


class Tracing:
    """Tracer providers of one service (one per component name) sharing a span processor."""

    def __init__(
        self,
        service_name: str,
        settings: TracingSettings | None,
        *,
        processor: SpanProcessor | None = None,
    ) -> None:
        self.service_name = service_name
        self.settings = settings
        sampling = settings.random_sampling if settings is not None else 0
        if processor is None and settings is not None and settings.opentracing_grpc_endpoint:
            processor = otlp_processor(settings.opentracing_grpc_endpoint)
        self.enabled = processor is not None and sampling > 0
        self._sampler = sampler_for(sampling if self.enabled else 0)
        self._processor = processor
        self._providers: dict[str, TracerProvider] = {}
        self.provider = self.provider_for(service_name)

    def provider_for(self, component: str) -> TracerProvider:
        """The tracer provider reporting under service name ``component``."""
        provider = self._providers.get(component)
        if provider is None:
            provider = TracerProvider(
                sampler=self._sampler,
                resource=Resource.create({SERVICE_NAME: component}),
                shutdown_on_exit=False,
            )
            if self._processor is not None and self.enabled:
                provider.add_span_processor(self._processor)
            self._providers[component] = provider
        return provider

    def tracer(self, component: str | None = None) -> Tracer:
        """A tracer for ``component`` (default: the service's own name)."""
        name = component or self.service_name
        return self.provider_for(name).get_tracer(name)

    def custom_attributes(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The configured custom span attributes for a request's headers."""
        settings = self.settings.span_attributes if self.settings is not None else None
        return custom_span_attributes(headers, settings)

    @contextmanager
    def server_span(
        self,
        name: str,
        headers: Mapping[str, str],
        *,
        component: str | None = None,
        attributes: Mapping[str, str | int | float | bool] | None = None,
    ) -> Iterator[Span]:
        """A SERVER span continuing the caller's trace, with the custom attributes set."""
        span_attributes: dict[str, str | int | float | bool] = dict(self.custom_attributes(headers))
        span_attributes.update(attributes or {})
        with self.tracer(component).start_as_current_span(
            name,
            context=extract_context(headers),
            kind=SpanKind.SERVER,
            attributes=span_attributes,
        ) as span:
            yield span

    def force_flush(self, timeout_millis: int = 5000) -> bool:
        """Export pending spans now."""
        if self._processor is None:
            return True
        return self._processor.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush and stop the exporter (call once, when the service stops)."""
        if self._processor is not None:
            self._processor.shutdown()


def setup_tracing(
    service_name: str,
    settings: TracingSettings | None,
    *,
    processor: SpanProcessor | None = None,
    set_global: bool = True,
) -> Tracing:
    """Configure tracing for a service; optionally install it as the global tracer provider.

    Tracing is enabled when ``random_sampling`` > 0 and there is a destination (an OTLP
    endpoint, or ``processor``, e.g. an in-memory exporter in tests). When disabled, spans are
    not recorded but trace context still propagates.
    """
    tracing = Tracing(service_name, settings, processor=processor)
    if set_global:
        trace.set_tracer_provider(tracing.provider)
    logger.info(
        "tracing %s: service=%s endpoint=%s random_sampling=%s",
        "enabled" if tracing.enabled else "disabled",
        service_name,
        settings.opentracing_grpc_endpoint if settings is not None else None,
        settings.random_sampling if settings is not None else 0,
    )
    return tracing
