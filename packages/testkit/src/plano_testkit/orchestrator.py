"""A fake routing model (Plano-Orchestrator) speaking OpenAI Chat Completions.

It reads the routes and the conversation out of the orchestrator prompt it is sent and picks
the route whose name and description share the most words with the latest user message (ties
go to the earlier route; no shared word means no route). `mode` makes it misbehave instead:

| mode | answer |
|---|---|
| ``route`` | ``{"route": ["<best route>"]}`` (``[]`` when nothing matches) |
| ``chain`` | every route sharing a word with the latest user message, in the order of the message |
| ``empty`` | an empty message content |
| ``unknown`` | ``{"route": ["<a route that was not offered>"]}`` |
| ``malformed`` | ``{"route": ["oops"`` |
| ``slow`` | the ``route`` answer after ``delay`` seconds |
| ``error`` | HTTP 500 with an OpenAI error body |

Every prompt received is kept in `prompts`; `mode` and `delay` may change while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from plano_testkit.http_server import HttpRequest
from plano_testkit.small_server import JSON_HEADERS, SmallServer, serve_until_signaled

__all__ = [
    "FakeOrchestrator",
    "OfferedRoute",
    "OrchestratorMode",
    "pick_route",
    "pick_routes",
    "read_prompt",
]

OrchestratorMode = Literal["route", "chain", "empty", "unknown", "malformed", "slow", "error"]
MODES: Final[tuple[str, ...]] = (
    "route",
    "chain",
    "empty",
    "unknown",
    "malformed",
    "slow",
    "error",
)
UNKNOWN_ROUTE: Final = "no-such-route"
_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS: Final = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "give",
        "how",
        "i",
        "in",
        "is",
        "it",
        "make",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "some",
        "the",
        "this",
        "to",
        "what",
        "with",
        "you",
        "your",
    )
)


@dataclass(frozen=True)
class OfferedRoute:
    """A route as listed in the prompt."""

    name: str
    description: str


def read_prompt(prompt: str) -> tuple[list[OfferedRoute], list[dict[str, Any]]]:
    """The routes and the conversation of an orchestrator prompt."""
    routes_text = prompt.split("<routes>\n", 1)[1].split("\n</routes>", 1)[0]
    routes = []
    for line in routes_text.splitlines():
        if line.strip():
            item = json.loads(line)
            routes.append(OfferedRoute(item["name"], item["description"]))
    conversation_text = prompt.split("<conversation>\n", 1)[1].split("\n</conversation>", 1)[0]
    return routes, json.loads(conversation_text)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS}


def pick_route(
    routes: Sequence[OfferedRoute], conversation: Sequence[dict[str, Any]]
) -> str | None:
    """The route sharing the most words with the latest user message (None: no overlap)."""
    latest = next((m["content"] for m in reversed(conversation) if m.get("role") == "user"), "")
    asked = _words(latest)
    best, best_score = None, 0
    for route in routes:
        score = len(asked & _words(f"{route.name} {route.description}"))
        if score > best_score:
            best, best_score = route.name, score
    return best


def pick_routes(
    routes: Sequence[OfferedRoute], conversation: Sequence[dict[str, Any]]
) -> list[str]:
    """Every route sharing a word with the latest user message, by first mention in it."""
    latest = next((m["content"] for m in reversed(conversation) if m.get("role") == "user"), "")
    order = [w for w in _WORD.findall(latest.lower()) if w not in _STOP_WORDS]
    ranked = []
    for route in routes:
        shared = [order.index(w) for w in _words(f"{route.name} {route.description}") if w in order]
        if shared:
            ranked.append((min(shared), route.name))
    return [name for _, name in sorted(ranked)]


class FakeOrchestrator(SmallServer):
    """The fake routing model; `async with` runs it in the loop, `with` in a thread.

    It serves ``<any prefix>/chat/completions``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: OrchestratorMode = "route",
        delay: float = 5.0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.mode: OrchestratorMode = mode
        self.delay = delay
        self.prompts: list[str] = []
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: HttpRequest) -> tuple[int, Sequence[tuple[str, str]], bytes]:
        """The routing answer to one chat completion request (or what `mode` makes of it)."""
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            return 404, JSON_HEADERS, _error("not found")
        body = json.loads(request.body)
        prompt = body["messages"][-1]["content"]
        self.bodies.append(body)
        self.prompts.append(prompt)
        mode = self.mode
        if mode == "error":
            return 500, JSON_HEADERS, _error("orchestrator exploded")
        if mode == "slow":
            await asyncio.sleep(self.delay)
        content = self._answer(mode, prompt)
        reply = {
            "id": f"chatcmpl-orch{len(self.prompts)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "Plano-Orchestrator"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 8, "total_tokens": 0},
        }
        return 200, JSON_HEADERS, json.dumps(reply).encode()

    @staticmethod
    def _answer(mode: str, prompt: str) -> str:
        if mode == "empty":
            return ""
        if mode == "malformed":
            return '{"route": ["oops"'
        if mode == "unknown":
            return json.dumps({"route": [UNKNOWN_ROUTE]})
        routes, conversation = read_prompt(prompt)
        if mode == "chain":
            return json.dumps({"route": pick_routes(routes, conversation)})
        chosen = pick_route(routes, conversation)
        return json.dumps({"route": [chosen] if chosen else []})


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "server_error"}}).encode()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m plano_testkit.orchestrator --port N [--mode M] [--delay S]``."""
    parser = argparse.ArgumentParser(prog="plano-fake-orchestrator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=MODES, default="route")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)

    fake = FakeOrchestrator(host=args.host, port=args.port, mode=args.mode, delay=args.delay)
    serve_until_signaled(fake, "fake orchestrator")


if __name__ == "__main__":
    main()
