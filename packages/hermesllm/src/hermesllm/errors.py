"""The typed errors hermesllm raises. Every parser and translator raises only these."""

__all__ = [
    "ChecksumError",
    "EventStreamError",
    "HermesError",
    "ReplyShapeError",
    "RequestParseError",
    "ResponseParseError",
    "SseBufferOverflowError",
    "StreamError",
    "UnsupportedConversionError",
]


class HermesError(Exception):
    """Base of every error raised by hermesllm."""


class RequestParseError(HermesError):
    """A request body is not valid JSON or does not match its API's shape."""


class ResponseParseError(HermesError):
    """An upstream response or stream event does not match its API's shape."""


class ReplyShapeError(ResponseParseError):
    """An upstream success body is not a reply of its API at all: not a JSON object, or no
    field holding the answer (an error object or another API's reply sent with a 200). The
    message names the problem in the parser's words, never bytes of the body."""


class UnsupportedConversionError(HermesError):
    """A request uses a feature the target API cannot express (e.g. file_search to Anthropic)."""


class StreamError(HermesError):
    """Base of errors raised while decoding a stream."""


class SseBufferOverflowError(StreamError):
    """An SSE event grew past the buffer bound without completing."""


class EventStreamError(StreamError):
    """An AWS event-stream frame is malformed (bad lengths, unknown header type)."""


class ChecksumError(EventStreamError):
    """An AWS event-stream frame failed its prelude or message CRC32 check."""
