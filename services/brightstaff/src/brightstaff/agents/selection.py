"""Which agents of a listener handle a request, in order.

One agent: that one. Several: the orchestrator model (``overrides.agent_orchestration_model``)
is asked with the routing prompt, the agents being the routes; its ordered answer is kept
(unknown names dropped, duplicates once). No answer, or an orchestrator failure: the
``default: true`` agent, else the first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from brightstaff.filters.observe import CallObserver
from brightstaff.routing.answer import MalformedAnswerError, answer_content, route_names
from brightstaff.routing.prompt import ChatTurn, RouteSpec, orchestrator_body
from brightstaff.seams import ChatCompleter, StepError
from plano_common.config.types import Listener, ListenerAgent

__all__ = ["AgentSelector", "Selection", "chat_turns"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen agents and how they were chosen (``single``, ``orchestrator``, ``default``)."""

    agents: tuple[ListenerAgent, ...]
    how: str


class AgentSelector:
    """Picks the agents of a request through the orchestrator model."""

    def __init__(
        self,
        completer: ChatCompleter,
        observer: CallObserver,
        *,
        model: str,
        context_length: int,
        timeout_seconds: float,
    ) -> None:
        self._completer = completer
        self._observer = observer
        self._model = model
        self._context_length = context_length
        self._timeout = timeout_seconds

    async def select(self, listener: Listener, messages: Sequence[Any]) -> Selection:
        """The ordered agents for a conversation."""
        agents = listener.agents
        if len(agents) == 1:
            return Selection(agents, "single")
        tracer = self._observer.orchestrator_tracer
        if tracer is None:
            return await self._ask(listener, messages)
        with tracer.start_as_current_span(listener.name) as span:
            started = time.perf_counter()
            selection = await self._ask(listener, messages)
            span.set_attributes(
                {
                    "selection.listener": listener.name,
                    "selection.agent_count": len(selection.agents),
                    "selection.agents": ",".join(a.id for a in selection.agents),
                    "selection.determination_ms": round((time.perf_counter() - started) * 1000, 3),
                }
            )
            return selection

    async def _ask(self, listener: Listener, messages: Sequence[Any]) -> Selection:
        agents = listener.agents
        routes = [RouteSpec(a.id, a.description or "") for a in agents]
        body = orchestrator_body(self._model, routes, chat_turns(messages), self._context_length)
        try:
            reply = await self._completer(body, request=None, timeout_seconds=self._timeout)
            names = route_names(answer_content(reply))
        except (StepError, TimeoutError, MalformedAnswerError) as exc:
            logger.warning("agent orchestration failed on %s: %s", listener.name, exc)
            return Selection((default_agent(agents),), "default")
        by_id = {a.id: a for a in agents}
        chosen: list[ListenerAgent] = []
        for name in names:
            agent = by_id.get(name)
            if agent is not None and agent not in chosen:
                chosen.append(agent)
        if not chosen:
            return Selection((default_agent(agents),), "default")
        return Selection(tuple(chosen), "orchestrator")


def default_agent(agents: Sequence[ListenerAgent]) -> ListenerAgent:
    """The ``default: true`` agent, else the first."""
    return next((a for a in agents if a.default), agents[0])


def chat_turns(messages: Sequence[Any]) -> list[ChatTurn]:
    """Chat messages reduced to role and text for the orchestrator prompt."""
    turns: list[ChatTurn] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if isinstance(role, str):
            turns.append(ChatTurn(role, _text(message.get("content"))))
    return turns


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            p.get("text", "")
            for p in content
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        return "\n".join(parts)
    return ""
