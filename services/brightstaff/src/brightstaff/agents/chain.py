"""Running the selected agents in order.

Each agent gets the conversation run through its input filters; an intermediate agent's reply
is read whole and inserted as an assistant message named after the agent before the last
message; the last agent's reply goes to the client as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from brightstaff.agents.client import AgentClient
from brightstaff.agents.relay import ReplyWriter
from brightstaff.agents.reply import reply_text
from brightstaff.filters.chain import FilterSet
from brightstaff.filters.errors import CallError
from brightstaff.filters.http import read_bounded
from brightstaff.filters.observe import CallObserver
from hermesllm.apis import CHAT_COMPLETIONS_PATH
from plano_common.config.types import ListenerAgent

__all__ = ["AgentChain", "ChainRequest"]

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


class ChainRequest(msgspec.Struct, kw_only=True):
    """One agent-listener request in Chat Completions form."""

    chat: dict[str, Any]
    agent_headers: dict[str, str]
    filter_headers: dict[str, str]
    timeout_seconds: float
    """The listener's timeout: the bound of an agent without its own."""


class AgentChain:
    """Calls agents and their input filters."""

    def __init__(
        self,
        client: AgentClient,
        filters: FilterSet,
        observer: CallObserver,
        timeouts: Mapping[str, float | None],
    ) -> None:
        self._client = client
        self._filters = filters
        self._observer = observer
        self._timeouts = timeouts

    async def run(
        self, agents: Sequence[ListenerAgent], request: ChainRequest, writer: ReplyWriter
    ) -> None:
        """Every agent in turn; the last one answers the client. Raises `CallError`."""
        messages: list[Any] = list(request.chat.get("messages") or [])
        for index, agent in enumerate(agents):
            seen = await self._filtered(agent, request, messages)
            body = _encode({**request.chat, "messages": seen})
            last = index == len(agents) - 1
            text = await self._call(agent.id, body, request, writer if last else None)
            if last:
                return
            reply = {"role": "assistant", "content": text, "name": agent.id}
            messages.insert(max(len(messages) - 1, 0), reply)

    async def _filtered(
        self, agent: ListenerAgent, request: ChainRequest, messages: list[Any]
    ) -> list[Any]:
        chain = self._filters.chain(agent.input_filters, "input")
        if chain is None:
            return messages
        payload = _encode({"model": request.chat.get("model", ""), "messages": messages})
        out = await chain.run(payload, CHAT_COMPLETIONS_PATH, request.filter_headers)
        try:
            filtered = _decode(out)
        except msgspec.DecodeError:
            filtered = None
        found = filtered.get("messages") if isinstance(filtered, dict) else None
        if not isinstance(found, list):
            raise CallError(chain.ids[-1], "invalid_reply", 502, "filter output has no messages")
        return found

    async def _call(
        self, agent_id: str, body: bytes, request: ChainRequest, writer: ReplyWriter | None
    ) -> str:
        seconds = self._timeouts.get(agent_id) or request.timeout_seconds
        with self._observer.agent_call(agent_id, CHAT_COMPLETIONS_PATH):
            try:
                async with asyncio.timeout(seconds):
                    response = await self._client.post(agent_id, body, request.agent_headers)
                    try:
                        if writer is not None:
                            await writer.relay(agent_id, response)
                            return ""
                        raw = await read_bounded(response, agent_id)
                        return reply_text(raw, response.content_type)
                    except BaseException:
                        response.close()
                        raise
                    finally:
                        response.release()
            except TimeoutError:
                message = f"agent {agent_id} timed out after {seconds:g}s"
                if writer is not None and writer.started:
                    await writer.fail(message)
                    return ""
                raise CallError(agent_id, "timeout", 504, message) from None
