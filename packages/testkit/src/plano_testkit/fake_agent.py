"""A fake agent speaking OpenAI Chat Completions (streamed or not), for agent-listener tests.

``python -m plano_testkit.fake_agent --port N --name NAME [--delay S]``

Its reply names itself and every earlier agent reply it was given (assistant messages with a
``name``): ``NAME answered [after first=<text>]``. Streamed replies come word by word.
``GET /requests`` returns the bodies received so far; ``GET /stats`` the requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from plano_testkit.http_server import HttpRequest, ResponseWriter
from plano_testkit.small_server import SmallServer, serve_until_signaled

__all__ = ["FakeAgent", "agent_reply_text", "main"]

_JSON = [("content-type", "application/json")]


def agent_reply_text(name: str, messages: list[dict[str, Any]]) -> str:
    """What agent ``name`` answers to ``messages``."""
    earlier = [
        f"{m['name']}={m.get('content')}"
        for m in messages
        if m.get("role") == "assistant" and m.get("name")
    ]
    return f"{name} answered" + (f" after {'; '.join(earlier)}" if earlier else "")


class FakeAgent(SmallServer):
    """The fake agent; `start()` serves it in the running loop. The chat completion bodies it
    received are kept in `bodies`."""

    def __init__(self, name: str, host: str, port: int, delay: float) -> None:
        super().__init__(host=host, port=port)
        self.name = name
        self.delay = delay
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0

    async def serve(self, request: HttpRequest, writer: ResponseWriter) -> None:
        """Answer a chat completion (streamed when asked) or one of the GET endpoints."""
        if request.method == "GET":
            await self._get(request, writer)
            return
        if not request.path.endswith("/chat/completions"):
            await writer.respond(404, _JSON, b'{"error": "not found"}')
            return
        body = json.loads(request.body)
        self.bodies.append(body)
        self.in_flight += 1
        try:
            await asyncio.sleep(self.delay)
            text = agent_reply_text(self.name, body.get("messages", []))
            if body.get("stream"):
                await _stream(writer, self.name, text)
            else:
                await writer.respond(200, _JSON, json.dumps(_completion(self.name, text)).encode())
        finally:
            self.in_flight -= 1

    async def _get(self, request: HttpRequest, writer: ResponseWriter) -> None:
        if request.path == "/requests":
            await writer.respond(200, _JSON, json.dumps(self.bodies).encode())
        elif request.path == "/stats":
            await writer.respond(200, _JSON, json.dumps({"in_flight": self.in_flight}).encode())
        else:
            await writer.respond(200, [("content-type", "text/plain")], b"ok")


def _completion(name: str, text: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{name}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": name,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


async def _stream(writer: ResponseWriter, name: str, text: str) -> None:
    await writer.start(200, [("content-type", "text/event-stream")])
    words = text.split(" ")
    for index, word in enumerate(words):
        piece = word if index == 0 else " " + word
        chunk = {
            "id": f"chatcmpl-{name}",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": name,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        await writer.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await asyncio.sleep(0.005)
    last = {
        "id": f"chatcmpl-{name}",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": name,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    await writer.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
    await writer.finish()


def main() -> None:
    """Run one fake agent until SIGTERM."""
    parser = argparse.ArgumentParser(prog="plano-fake-agent", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()

    agent = FakeAgent(args.name, args.host, args.port, args.delay)
    serve_until_signaled(agent, f"fake agent {args.name}")


if __name__ == "__main__":
    main()
