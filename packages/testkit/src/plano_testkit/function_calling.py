"""A fake function-calling service (`POST /function_calling`), scripted per test.

Each request takes the next queued `FcAnswer`, else `default` (no intent). The answer is a
`chat.completion` shaped like brightstaff's: empty content (no intent), clarification text,
or `tool_calls` with `metadata["x-arch-fc-model-response"]` holding the fenced JSON answer.
`FcAnswer.failing(status)` answers with that status and an error body.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plano_testkit.http_server import HttpRequest
from plano_testkit.small_server import JSON_HEADERS, SmallServer, json_body

__all__ = ["FakeFunctionCalling", "FcAnswer"]


@dataclass(frozen=True)
class FcAnswer:
    """One scripted answer."""

    content: str = ""
    tool_calls: Sequence[tuple[str, Mapping[str, Any]]] = ()
    status: int = 200
    error_body: bytes = b""
    include_fc_response: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def no_intent(cls) -> FcAnswer:
        """No target matched."""
        return cls()

    @classmethod
    def clarify(cls, text: str) -> FcAnswer:
        """Parameters are missing: ask the user."""
        return cls(content=text)

    @classmethod
    def call(cls, name: str, arguments: Mapping[str, Any], **options: Any) -> FcAnswer:
        """Call one target with these arguments."""
        return cls(tool_calls=((name, arguments),), **options)

    @classmethod
    def failing(cls, status: int, body: bytes = b"") -> FcAnswer:
        """Answer with an HTTP error."""
        return cls(status=status, error_body=body)

    def body(self, number: int) -> dict[str, Any]:
        """The chat.completion of this answer."""
        calls = [
            {
                "id": f"call_{number:04d}{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(dict(args))},
            }
            for index, (name, args) in enumerate(self.tool_calls)
        ]
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if calls:
            message["tool_calls"] = calls
        metadata: dict[str, Any] = {}
        if self.include_fc_response:
            raw = {"tool_calls": [{"name": n, "arguments": dict(a)} for n, a in self.tool_calls]}
            text = json.dumps(raw) if calls else json.dumps({"response": self.content})
            metadata["x-arch-fc-model-response"] = f"```json\n{text}\n```"
        return {
            "id": f"chatcmpl-fc{number}",
            "object": "chat.completion",
            "created": 0,
            "model": "Arch-Function",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "metadata": metadata,
            **self.extra,
        }


class FakeFunctionCalling(SmallServer):
    """The fake; `bodies` keeps every decoded request body."""

    def __init__(self, *, default: FcAnswer | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.default = default or FcAnswer.no_intent()
        self.bodies: list[Any] = []
        self._queue: collections.deque[FcAnswer] = collections.deque()

    @property
    def endpoint(self) -> str:
        """The URL to configure (`PLANO_FUNCTION_CALLING_URL`)."""
        return f"{self.url}/function_calling"

    def reset(self) -> None:
        """Forget requests, bodies and queued answers."""
        super().reset()
        self.bodies.clear()
        self._queue.clear()

    def enqueue(self, *answers: FcAnswer) -> None:
        """Queue answers; each request takes the next one."""
        self._queue.extend(answers)

    async def handle(self, request: HttpRequest) -> tuple[int, Sequence[tuple[str, str]], bytes]:
        try:
            self.bodies.append(json.loads(request.body))
        except ValueError:
            self.bodies.append(None)
        answer = self._queue.popleft() if self._queue else self.default
        if answer.status != 200:
            return answer.status, JSON_HEADERS, answer.error_body
        return 200, JSON_HEADERS, json_body(answer.body(len(self.bodies)))
