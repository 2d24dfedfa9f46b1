"""A plain HTTP filter: POST the body to ``url + request path``; 2xx replaces the body,
4xx blocks with that status, 5xx is the filter's failure."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from yarl import URL

from brightstaff.filters.errors import CallError
from brightstaff.filters.http import CONNECT_ERRORS, CallerHttp, read_bounded, unreachable

__all__ = ["HttpFilter"]


class HttpFilter:
    """One configured HTTP filter."""

    kind = "http"

    def __init__(self, filter_id: str, url: str, http: CallerHttp) -> None:
        self.id = filter_id
        self._base = url.rstrip("/")
        self._http = http
        self._urls: dict[str, URL] = {}

    def _url(self, path: str) -> URL:
        found = self._urls.get(path)
        if found is None:
            found = URL(self._base + path, encoded=True)
            if len(self._urls) < 16:
                self._urls[path] = found
        return found

    async def apply(self, data: bytes, path: str, headers: Mapping[str, str]) -> bytes:
        """The filtered bytes; raises `CallError`."""
        send = {**headers, "content-type": "application/json", "accept": "application/json"}
        try:
            async with self._http.session().post(
                self._url(path), data=data, headers=send, allow_redirects=False
            ) as response:
                body = await read_bounded(response, self.id)
                status = response.status
        except CONNECT_ERRORS as exc:
            raise unreachable(self.id, "filter", exc) from None
        except aiohttp.ClientError as exc:
            raise unreachable(self.id, "filter", exc) from None
        if 200 <= status < 300:
            return body
        text = body.decode("utf-8", errors="replace")
        if 400 <= status < 500:
            raise CallError(self.id, "blocked", status, text)
        if status >= 500:
            raise CallError(self.id, "server_error", status, text)
        raise CallError(self.id, "invalid_reply", 502, f"unexpected status {status}")
