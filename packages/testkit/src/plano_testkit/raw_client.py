"""A tiny blocking HTTP client (standard library only) for reading raw responses in tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RawResponse", "post"]


@dataclass(frozen=True)
class RawResponse:
    """Status, lower-cased headers and the complete (de-chunked) body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


def post(
    url: str,
    body: bytes | Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    timeout: float = 10.0,
) -> RawResponse:
    """POST a body (a mapping is sent as JSON) and read the whole response, errors included."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("content-type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return RawResponse(response.status, _headers(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return RawResponse(error.code, _headers(error.headers), error.read())


def _headers(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
