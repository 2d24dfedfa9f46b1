"""A fake Arch-Function model: OpenAI Chat Completions with the vLLM prefill behavior.

The model continues the prefilled assistant message it is sent. Each request takes the next
queued `ArchAnswer` (else `default`): a streamed request gets the answer's ``text`` split into
tokens the way a BPE tokenizer splits JSON (``{"``, ``name``, ``":``, `` "``, ``Paris``, ``",``
…), each chunk carrying ``logprobs.content[0].top_logprobs`` (ten entries). Tokens listed in
``uncertain`` get a spread distribution (high entropy), every other token a confident one. A
non-streamed request whose prefill asks for ``required_functions`` (the clarification retry)
gets the answer's ``clarification`` continuation.

    with FakeArchFunction() as fake:
        fake.enqueue(ArchAnswer(text='tool_calls": [...]}\\n```', uncertain=("Paris",)))
        ... point the ``arch-function`` provider's base_url at fake.url ...
        assert [b["stream"] for b in fake.bodies] == [True, False]
"""

from __future__ import annotations

import collections
import json
import re
from dataclasses import dataclass
from typing import Any, Final

from plano_testkit.http_server import HttpRequest, ResponseWriter
from plano_testkit.small_server import SmallServer

__all__ = [
    "CONFIDENT_LOGPROBS",
    "UNCERTAIN_LOGPROBS",
    "ArchAnswer",
    "FakeArchFunction",
    "clarification_text",
    "no_intent_text",
    "tokenize",
    "tool_calls_text",
]

CONFIDENT_LOGPROBS: Final = (0.0, *(-20.0 - i for i in range(9)))
UNCERTAIN_LOGPROBS: Final = (-0.9, -1.2, -1.6, -2.0, -2.5, -3.0, -3.5, -4.0, -4.5, -5.0)
_TOKEN = re.compile(r'\s*(?:[A-Za-z0-9_]+|\[\{"|\{"|",|":|"\}|\}\}|[^\sA-Za-z0-9_])|\s+')
_JSON = [("content-type", "application/json")]
_SSE = [("content-type", "text/event-stream")]
_FENCE_END = "\n```"


def tokenize(text: str) -> list[str]:
    """Split text into words and JSON punctuation tokens (``[{"``, ``{"``, ``",``, ``":``,
    ``"}``, ``}}`` or one character), leading spaces attached."""
    return _TOKEN.findall(text)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def tool_calls_text(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """The continuation of the default prefill for these tool calls."""
    listed = [{"name": name, "arguments": args} for name, args in calls]
    return _dumps({"tool_calls": listed})[2:] + _FENCE_END


def clarification_text(functions: list[str], question: str) -> str:
    """The continuation of the default prefill asking for missing parameters."""
    return _dumps({"required_functions": functions, "clarification": question})[2:] + _FENCE_END


def no_intent_text(reply: str) -> str:
    """The continuation of the default prefill when no function applies."""
    return _dumps({"response": reply})[2:] + _FENCE_END


@dataclass(frozen=True)
class ArchAnswer:
    """One scripted answer."""

    text: str = ""
    """What the model streams after the default prefill (see the ``*_text`` helpers)."""
    uncertain: tuple[str, ...] = ()
    """Tokens (stripped) that get high-entropy log-probabilities."""
    clarification: str = "Which city do you mean?"
    """The question answered to the clarification retry."""
    functions: tuple[str, ...] = ()
    """The functions named in the clarification retry's answer."""
    echo_prefill: bool = False
    """Answer with the prefill repeated before the continuation (some servers do)."""
    status: int = 200


class FakeArchFunction(SmallServer):
    """The fake model (serves ``<any prefix>/chat/completions``); `with` runs it in a background
    thread, `async with` in the test's loop."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.default = ArchAnswer(text=no_intent_text("Hello! How can I help?"))
        self.answers: collections.deque[ArchAnswer] = collections.deque()
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._current: ArchAnswer | None = None

    def enqueue(self, *answers: ArchAnswer) -> None:
        """Queue answers for the next requests (a clarification retry reuses the last one)."""
        self.answers.extend(answers)

    def reset(self) -> None:
        """Forget queued answers and recorded requests."""
        super().reset()
        self.answers.clear()
        self.bodies.clear()
        self.headers.clear()
        self._current = None

    async def serve(self, request: HttpRequest, writer: ResponseWriter) -> None:
        """Answer a chat completion with the next scripted answer (streamed when asked)."""
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            await writer.respond(404, _JSON, b'{"error": {"message": "not found"}}')
            return
        body = json.loads(request.body)
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        prefill = str(body["messages"][-1].get("content", ""))
        retry = prefill.endswith('required_functions\\":')
        if retry and self._current is not None:
            answer = self._current
        else:
            answer = self.answers.popleft() if self.answers else self.default
            self._current = answer
        if answer.status != 200:
            await writer.respond(answer.status, _JSON, b'{"error": {"message": "model exploded"}}')
            return
        text = _retry_text(answer) if retry else answer.text
        if answer.echo_prefill:
            text = prefill + text
        if body.get("stream"):
            await self._stream(writer, body, answer, text)
        else:
            await writer.respond(200, _JSON, _dumps(_completion(body, text)).encode())

    async def _stream(
        self, writer: ResponseWriter, body: dict[str, Any], answer: ArchAnswer, text: str
    ) -> None:
        await writer.start(200, _SSE)
        for token in tokenize(text):
            uncertain = token.strip() in answer.uncertain
            logprobs = UNCERTAIN_LOGPROBS if uncertain else CONFIDENT_LOGPROBS
            chunk = _chunk(body, token, logprobs)
            await writer.write(f"data: {_dumps(chunk)}\n\n".encode())
        await writer.write(b"data: [DONE]\n\n")
        await writer.finish()


def _retry_text(answer: ArchAnswer) -> str:
    functions = _dumps(list(answer.functions))
    return f' {functions}, "clarification": {_dumps(answer.clarification)}}}{_FENCE_END}'


def _chunk(body: dict[str, Any], token: str, logprobs: tuple[float, ...]) -> dict[str, Any]:
    top = [{"token": f"t{i}", "logprob": lp, "bytes": None} for i, lp in enumerate(logprobs)]
    return {
        "id": "chatcmpl-fake-arch",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", "Arch-Function"),
        "choices": [
            {
                "index": 0,
                "delta": {"content": token},
                "logprobs": {
                    "content": [{"token": token, "logprob": logprobs[0], "top_logprobs": top}]
                },
                "finish_reason": None,
            }
        ],
    }


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake-arch",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "Arch-Function"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
