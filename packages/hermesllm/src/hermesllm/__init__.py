"""hermesllm: pure translation between LLM wire formats.

Bytes and structs in, bytes and structs out: no I/O, no asyncio, no HTTP.
"""

from hermesllm.apis import ClientApi, UpstreamApi, client_api_for_path
from hermesllm.errors import HermesError

__version__ = "0.1.0"

__all__ = ["ClientApi", "HermesError", "UpstreamApi", "__version__", "client_api_for_path"]
