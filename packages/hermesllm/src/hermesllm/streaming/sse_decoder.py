"""Base of the upstream decoders whose wire format is Server-Sent Events."""

from __future__ import annotations

from abc import ABC, abstractmethod

from hermesllm.sse import SseParser
from hermesllm.streaming.events import ClientEncoder

__all__ = ["SseDecoder", "UpstreamDecoder"]


class UpstreamDecoder(ABC):
    """Reads one upstream wire format and drives a `ClientEncoder`."""

    __slots__ = ("sink",)

    def __init__(self, sink: ClientEncoder) -> None:
        self.sink = sink

    @abstractmethod
    def feed(self, chunk: bytes) -> None:
        """Consume one network chunk."""

    @abstractmethod
    def close(self) -> None:
        """Upstream end of stream: handle whatever complete data is still held."""


class SseDecoder(UpstreamDecoder):
    """An upstream decoder fed by an `SseParser`; subclasses handle one event at a time."""

    __slots__ = ("_parser",)

    def __init__(self, sink: ClientEncoder) -> None:
        super().__init__(sink)
        self._parser = SseParser()

    def feed(self, chunk: bytes) -> None:
        handle = self.handle
        for event in self._parser.feed(chunk):
            handle(event.event, event.data)

    def close(self) -> None:
        for event in self._parser.close():
            self.handle(event.event, event.data)

    @abstractmethod
    def handle(self, name: str | None, data: str) -> None:
        """Handle one complete event."""
