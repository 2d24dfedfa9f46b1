"""Chat Completions calls to a function-calling model through the egress (llm_gateway):
streamed with log-probabilities, or whole; every read bounded in size and time."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from hermesllm.apis import CHAT_COMPLETIONS_PATH

__all__ = ["MAX_ANSWER_BYTES", "ModelCallError", "ModelClient", "StreamedToken"]

MAX_ANSWER_BYTES = 1024 * 1024
"""The most bytes read from one model answer (streamed or whole)."""
MAX_LINE_BYTES = 256 * 1024
PROVIDER_HINT_HEADER = "x-arch-llm-provider-hint"
STREAMING_HEADER = "x-arch-streaming-request"


class ModelCallError(Exception):
    """The model call failed (transport, HTTP status, size, time or shape)."""


@dataclass(frozen=True, slots=True)
class StreamedToken:
    """One streamed content delta and the top log-probabilities of its first token."""

    content: str
    logprobs: list[float]


class ModelClient:
    """POSTs to the egress's Chat Completions path, naming the provider in the hint header.

    Calls have no overall deadline of their own: the caller bounds the whole exchange."""

    def __init__(self, egress_url: str, *, connect_timeout: float) -> None:
        self._url = URL(egress_url.rstrip("/") + CHAT_COMPLETIONS_PATH, encoded=True)
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def _headers(self, provider: str, stream: bool, request_id: str) -> dict[str, str]:
        return {
            "content-type": "application/json",
            PROVIDER_HINT_HEADER: provider,
            STREAMING_HEADER: "true" if stream else "false",
            "x-request-id": request_id,
        }

    async def stream(
        self, provider: str, body: dict[str, Any], request_id: str
    ) -> AsyncGenerator[StreamedToken, None]:
        """The content deltas of a streamed completion, in order."""
        payload = json.dumps({**body, "stream": True}).encode()
        response = await self._post(payload, self._headers(provider, True, request_id))
        async with response:
            if response.status >= 300:
                raise ModelCallError(await _http_error(response))
            async for token in _tokens(response):
                yield token

    async def _post(self, payload: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
        try:
            return await self._client().post(self._url, data=payload, headers=headers)
        except (aiohttp.ClientError, OSError) as exc:
            raise ModelCallError(f"model unreachable: {exc or type(exc).__name__}") from None

    async def complete(
        self, provider: str, body: dict[str, Any], request_id: str
    ) -> dict[str, Any]:
        """A whole (non-streamed) completion."""
        payload = json.dumps({**body, "stream": False}).encode()
        response = await self._post(payload, self._headers(provider, False, request_id))
        async with response:
            data = await _read_all(response, MAX_ANSWER_BYTES + 1)
            if response.status >= 300:
                raise ModelCallError(f"HTTP error {response.status}: {_clip(data)}")
        if len(data) > MAX_ANSWER_BYTES:
            raise ModelCallError("model answer too large")
        try:
            decoded = json.loads(data)
        except ValueError:
            raise ModelCallError("model answer is not JSON") from None
        if not isinstance(decoded, dict):
            raise ModelCallError("model answer is not a JSON object")
        return decoded

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _clip(data: bytes) -> str:
    return data[:512].decode("utf-8", errors="replace")


async def _read_all(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)


async def _http_error(response: aiohttp.ClientResponse) -> str:
    data = await response.content.read(4096)
    return f"HTTP error {response.status}: {_clip(data)}"


async def _tokens(response: aiohttp.ClientResponse) -> AsyncIterator[StreamedToken]:
    total = 0
    while True:
        try:
            line = await response.content.readuntil(b"\n")
        except ValueError:
            raise ModelCallError("model stream line too long") from None
        except aiohttp.ClientPayloadError as exc:
            raise ModelCallError(f"SSE stream error: {exc}") from None
        if not line:
            return
        total += len(line)
        if total > MAX_ANSWER_BYTES or len(line) > MAX_LINE_BYTES:
            raise ModelCallError("model answer too large")
        text = line.strip()
        if not text.startswith(b"data:"):
            continue
        data = text[5:].strip()
        if data == b"[DONE]":
            return
        token = _token(data)
        if token is not None:
            yield token


def _token(data: bytes) -> StreamedToken | None:
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise ModelCallError(f"JSON parse error: {exc}") from None
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    delta = choice.get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    if not isinstance(content, str):
        return None
    return StreamedToken(content, _top_logprobs(choice.get("logprobs")))


def _top_logprobs(logprobs: Any) -> list[float]:
    entries = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        return []
    top = entries[0].get("top_logprobs")
    if not isinstance(top, list):
        return []
    return [
        float(item["logprob"])
        for item in top
        if isinstance(item, dict) and isinstance(item.get("logprob"), int | float)
    ]
