"""`planoai trace`: a local OTLP receiver (gRPC, what the services export) printing each
trace as a span tree once it has been quiet for a moment."""

from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Any

import grpc  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from rich.console import Console

from planoai.spans import TraceBuffer, render_trace, spans_of

__all__ = ["TraceReceiver", "serve_traces"]

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
POLL_SECONDS = 0.25


class TraceReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    """The OTLP TraceService: buffers every exported span."""

    def __init__(self, buffer: TraceBuffer) -> None:
        self.buffer = buffer

    def Export(  # noqa: N802 - the gRPC method name
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        """Accept a batch of spans."""
        self.buffer.add(spans_of(request))
        return trace_service_pb2.ExportTraceServiceResponse()


def serve_traces(
    host: str, port: int, console: Console, quiet: float, stop: threading.Event
) -> None:
    """Receive OTLP/gRPC on host:port and print finished traces until `stop` is set."""
    buffer = TraceBuffer(quiet=quiet)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)],
    )
    receiver = TraceReceiver(buffer)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)  # type: ignore[no-untyped-call]
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port} (in use?)")
    server.start()
    console.print(f"receiving OTLP traces (gRPC) on {host}:{port}; Ctrl-C stops")
    try:
        while not stop.is_set():
            for spans in buffer.done():
                console.print(render_trace(spans))
            time.sleep(POLL_SECONDS)
    finally:
        server.stop(grace=1.0)
