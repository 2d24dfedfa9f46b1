"""Base of the upstream decoders; most upstream wire formats are Server-Sent Events."""

from __future__ import annotations

from abc import ABC, abstractmethod

import msgspec

from hermesllm.sse import SseEvent, SseParser
from hermesllm.streaming.events import ClientEncoder

__all__ = ["SseDecoder", "UpstreamDecoder"]


class UpstreamDecoder(ABC):
    """Reads one upstream wire format and drives a `ClientEncoder`.

    A malformed event (JSON that does not decode to the expected shape) raises
    `msgspec.MsgspecError`, unless the decoder is `lenient`: then that event is skipped and
    decoding goes on, which suits reading metrics off a stream that is forwarded as it is.
    """

    __slots__ = ("lenient", "sink")

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        self.sink = sink
        self.lenient = lenient

    @abstractmethod
    def feed(self, chunk: bytes) -> None:
        """Consume one network chunk."""

    @abstractmethod
    def close(self) -> None:
        """Upstream end of stream: handle whatever complete data is still held."""


class SseDecoder(UpstreamDecoder):
    """An upstream decoder fed by an `SseParser`; subclasses handle one event at a time."""

    __slots__ = ("_parser",)

    def __init__(self, sink: ClientEncoder, *, lenient: bool = False) -> None:
        super().__init__(sink, lenient=lenient)
        self._parser = SseParser()

    def feed(self, chunk: bytes) -> None:
        self._handle_all(self._parser.feed(chunk))

    def close(self) -> None:
        self._handle_all(self._parser.close())

    def _handle_all(self, events: list[SseEvent]) -> None:
        handle = self.handle
        for event in events:
            try:
                handle(event.event, event.data)
            except msgspec.MsgspecError:
                if not self.lenient:
                    raise

    @abstractmethod
    def handle(self, name: str | None, data: str) -> None:
        """Handle one complete event."""
