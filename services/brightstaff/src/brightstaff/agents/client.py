"""Calling an agent: POST a Chat Completions body to ``{agent url}/v1/chat/completions``."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from yarl import URL

from brightstaff.filters.errors import CallError, FailureKind
from brightstaff.filters.http import CONNECT_ERRORS, CallerHttp, read_bounded, reason
from hermesllm.apis import CHAT_COMPLETIONS_PATH

__all__ = ["AgentClient", "agent_status_failure"]


class AgentClient:
    """Requests to the configured agents over the shared keep-alive session."""

    def __init__(self, urls: Mapping[str, str], http: CallerHttp) -> None:
        self._urls = {
            agent_id: URL(url.rstrip("/") + CHAT_COMPLETIONS_PATH, encoded=True)
            for agent_id, url in urls.items()
        }
        self._http = http

    async def post(
        self, agent_id: str, body: bytes, headers: Mapping[str, str]
    ) -> aiohttp.ClientResponse:
        """The agent's 2xx response, body unread; raises `CallError` (its 4xx/5xx, or 502)."""
        url = self._urls.get(agent_id)
        if url is None:
            raise CallError(agent_id, "unreachable", 502, f"agent {agent_id} has no url")
        try:
            response = await self._http.session().post(
                url, data=body, headers=headers, allow_redirects=False
            )
        except CONNECT_ERRORS as exc:
            raise CallError(
                agent_id, "unreachable", 502, f"agent {agent_id} unreachable: {reason(exc)}"
            ) from None
        except aiohttp.ClientError as exc:
            raise CallError(
                agent_id, "unreachable", 502, f"agent {agent_id} failed: {reason(exc)}"
            ) from None
        if response.status >= 300:
            try:
                raise await agent_status_failure(agent_id, response)
            finally:
                response.release()
        return response


async def agent_status_failure(agent_id: str, response: aiohttp.ClientResponse) -> CallError:
    """The failure of an agent's non-2xx answer (its status and body)."""
    try:
        body = await read_bounded(response, agent_id)
    except (aiohttp.ClientError, CallError):
        body = b""
    status = response.status
    kind: FailureKind = "blocked" if 400 <= status < 500 else "server_error"
    return CallError(
        agent_id, kind, status if status >= 400 else 502, body.decode("utf-8", errors="replace")
    )
