"""hermesllm: pure translation between LLM wire formats.

Bytes and structs in, bytes and structs out: no I/O, no asyncio, no HTTP. The entry points:

* a request: `prepare_upstream_request(body, client, upstream, provider=..., model=...)`;
* a response: `translate_response(body, upstream, client, model=...)` (and
  `translate_response_with_usage`, `response_usage`);
* a stream: `new_stream_translator(upstream, client, model=...)`, then `feed` / `finish`;
* an error: `translate_error(body, status, upstream, client)`, or `render_error` for one of
  the gateway's own;
* which API and path to use: `upstream_api_for(provider, client)`, `upstream_path(...)`,
  `client_api_for_path(path)`.
"""

from hermesllm.apis import ClientApi, UpstreamApi, client_api_for_path
from hermesllm.error_bodies import render_error, translate_error
from hermesllm.errors import (
    HermesError,
    RequestParseError,
    ResponseParseError,
    StreamError,
    UnsupportedConversionError,
)
from hermesllm.provider_ids import ProviderId
from hermesllm.providers import upstream_api_for, upstream_path
from hermesllm.streaming import StreamTranslator, new_stream_translator
from hermesllm.translate import (
    prepare_upstream_request,
    response_usage,
    translate_response,
    translate_response_with_usage,
)
from hermesllm.usage import Usage

__version__ = "0.1.0"

__all__ = [
    "ClientApi",
    "HermesError",
    "ProviderId",
    "RequestParseError",
    "ResponseParseError",
    "StreamError",
    "StreamTranslator",
    "UnsupportedConversionError",
    "UpstreamApi",
    "Usage",
    "__version__",
    "client_api_for_path",
    "new_stream_translator",
    "prepare_upstream_request",
    "render_error",
    "response_usage",
    "translate_error",
    "translate_response",
    "translate_response_with_usage",
    "upstream_api_for",
    "upstream_path",
]
