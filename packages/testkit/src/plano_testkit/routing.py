"""Which wire format a request path speaks, matched by suffix so base-path prefixes work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from plano_testkit.wire.common import WireApi

__all__ = ["Route", "route"]

_GEMINI = re.compile(r"/models/(?P<model>[^/]+):(?P<method>generateContent|streamGenerateContent)$")
_BEDROCK = re.compile(r"/model/(?P<model>[^/]+)/(?P<operation>converse|converse-stream)$")
_AZURE = re.compile(r"/deployments/(?P<model>[^/]+)/chat/completions$")


@dataclass(frozen=True)
class Route:
    """A matched LLM endpoint: its wire format, the model named in the path, whether the
    path itself asks for a stream (None when the body's `stream` field decides), and whether
    it is Anthropic's token-counting endpoint."""

    api: WireApi
    path_model: str | None = None
    path_streams: bool | None = None
    counts_tokens: bool = False


def route(raw_path: str) -> Route | None:
    """Match a raw (still percent-encoded) request path to an LLM endpoint."""
    if match := _GEMINI.search(raw_path):
        streams = match["method"] == "streamGenerateContent"
        return Route(WireApi.GEMINI, unquote(match["model"]), streams)
    if match := _BEDROCK.search(raw_path):
        streams = match["operation"] == "converse-stream"
        return Route(WireApi.BEDROCK, unquote(match["model"]), streams)
    if match := _AZURE.search(raw_path):
        return Route(WireApi.CHAT, unquote(match["model"]))
    if raw_path.endswith("/chat/completions"):
        return Route(WireApi.CHAT)
    if raw_path.endswith("/responses"):
        return Route(WireApi.RESPONSES)
    if raw_path.endswith("/messages"):
        return Route(WireApi.MESSAGES)
    if raw_path.endswith("/messages/count_tokens"):
        return Route(WireApi.MESSAGES, path_streams=False, counts_tokens=True)
    return None
