"""The typed errors hermesllm raises. Every parser and translator raises only these."""


class HermesError(Exception):
    """Base of every error raised by hermesllm."""


class RequestParseError(HermesError):
    """A request body is not valid JSON or does not match its API's shape."""


class ResponseParseError(HermesError):
    """An upstream response or stream event does not match its API's shape."""


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
