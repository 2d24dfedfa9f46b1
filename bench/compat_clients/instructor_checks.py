"""instructor against the gateway; run in the instructor venv by bench/client_compat.py.

    python instructor_checks.py CHECK GATEWAY_URL

Exits 0 and prints `ok: …` when the check passed, else prints the failure and exits 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import instructor
import openai
import pydantic

BEDROCK = "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0"
CLAUDE = "anthropic/claude-sonnet-4-20250514"
MESSAGES = [{"role": "user", "content": "Name a color."}]


class Color(pydantic.BaseModel):
    name: str
    hex: str


EXPECTED = {"name": "red", "hex": "#ff0000"}


def _client(url: str, mode: instructor.Mode) -> instructor.Instructor:
    sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="client-key", max_retries=0)
    return instructor.from_openai(sdk, mode=mode)


def _extract(url: str, mode: instructor.Mode, model: str) -> str:
    color = _client(url, mode).chat.completions.create(
        model=model, response_model=Color, messages=MESSAGES, max_retries=1
    )
    assert color.model_dump() == EXPECTED, color
    return f"ok: {mode.value} on {model} gave {color.model_dump()}"


def tools_mode_on_anthropic(url: str) -> str:
    return _extract(url, instructor.Mode.TOOLS, CLAUDE)


def json_mode_on_bedrock(url: str) -> str:
    return _extract(url, instructor.Mode.JSON, BEDROCK)


def json_schema_mode_on_bedrock(url: str) -> str:
    return _extract(url, instructor.Mode.JSON_SCHEMA, BEDROCK)


def json_mode_on_openai(url: str) -> str:
    return _extract(url, instructor.Mode.JSON, "openai/gpt-4o")


def responses_tools_mode_on_bedrock(url: str) -> str:
    client = _client(url, instructor.Mode.RESPONSES_TOOLS)
    color = client.responses.create(
        model=BEDROCK, response_model=Color, input="Name a color.", max_retries=1
    )
    assert color.model_dump() == EXPECTED, color
    return f"ok: responses_tools on {BEDROCK} gave {color.model_dump()}"


CHECKS: dict[str, Callable[[str], str]] = {
    check.__name__: check
    for check in (
        tools_mode_on_anthropic,
        json_mode_on_bedrock,
        json_schema_mode_on_bedrock,
        json_mode_on_openai,
        responses_tools_mode_on_bedrock,
    )
}


def main() -> int:
    name, url = sys.argv[1], sys.argv[2]
    try:
        print(CHECKS[name](url))
    except Exception as exc:
        print(f"failed: {type(exc).__name__}: {str(exc)[:300]}".replace("\n", " "))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
