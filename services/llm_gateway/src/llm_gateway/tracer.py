"""The gateway's tracing: spans only when the config has a `tracing` section with sampling and
an exporter; otherwise trace context is passed through untouched."""

from __future__ import annotations

from opentelemetry.sdk.trace import SpanProcessor

from plano_common.config.types import PlanoConfig
from plano_common.tracing import Tracing, setup_tracing

__all__ = ["SERVICE_NAME", "gateway_tracing"]

SERVICE_NAME = "plano(llm)"


def gateway_tracing(config: PlanoConfig, processor: SpanProcessor | None = None) -> Tracing | None:
    """The tracing handle when spans are recorded, else None."""
    if config.tracing is None and processor is None:
        return None
    tracing = setup_tracing(SERVICE_NAME, config.tracing, processor=processor, set_global=False)
    return tracing if tracing.enabled else None
