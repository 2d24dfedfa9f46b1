"""A fake jailbreak guard model: `POST {"input", "task": "jailbreak"}` →
`{"jailbreak_prob", "jailbreak_verdict"}`.

An input containing one of `triggers` (case-insensitive) scores 0.99, anything else 0.01.
`status` other than 200 makes it fail with that status. `inputs` keeps every input received.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from plano_testkit.http_server import HttpRequest
from plano_testkit.small_server import JSON_HEADERS, SmallServer, json_body

__all__ = ["DEFAULT_TRIGGERS", "FakeGuard"]

DEFAULT_TRIGGERS = ("jailbreak", "ignore all previous instructions")


class FakeGuard(SmallServer):
    """The fake guard; its URL (`url` + `/guard`) goes in `PLANO_GUARD_URL`."""

    def __init__(self, *, triggers: Sequence[str] = DEFAULT_TRIGGERS, **options: Any) -> None:
        super().__init__(**options)
        self.triggers = tuple(trigger.lower() for trigger in triggers)
        self.status = 200
        self.inputs: list[str] = []

    def reset(self) -> None:
        """Forget inputs and answer normally again."""
        super().reset()
        self.inputs.clear()
        self.status = 200

    @property
    def endpoint(self) -> str:
        """The URL to configure."""
        return f"{self.url}/guard"

    async def handle(self, request: HttpRequest) -> tuple[int, Sequence[tuple[str, str]], bytes]:
        if self.status != 200:
            return self.status, JSON_HEADERS, json_body({"error": "guard failed"})
        body = json.loads(request.body)
        text = str(body.get("input", ""))
        self.inputs.append(text)
        hit = any(trigger in text.lower() for trigger in self.triggers)
        probability = 0.99 if hit else 0.01
        answer = {"jailbreak_prob": probability, "jailbreak_verdict": hit}
        return 200, JSON_HEADERS, json_body(answer)
