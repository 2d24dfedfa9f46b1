"""LiteLLM used as a client of the gateway; run in the LiteLLM venv by bench/client_compat.py.

    python litellm_checks.py CHECK GATEWAY_URL

Exits 0 and prints `ok: …` when the check passed, else prints the failure and exits 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map download

import litellm  # imported after the offline switch above
import pydantic

MESSAGES = [{"role": "user", "content": "Say hello."}]
BEDROCK = "amazon_bedrock/anthropic.claude-3-haiku-20240307-v1:0"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


class Color(pydantic.BaseModel):
    name: str
    hex: str


def _openai_kwargs(url: str) -> dict[str, Any]:
    return {"api_base": f"{url}/v1", "api_key": "client-key", "num_retries": 0}


def chat_via_openai_provider(url: str) -> str:
    response: Any = litellm.completion(
        model="openai/anthropic/claude-sonnet-4-20250514", messages=MESSAGES, **_openai_kwargs(url)
    )
    text = response.choices[0].message.content
    assert text == "hello from the fake", text
    return f"ok: {text!r}"


def chat_stream(url: str) -> str:
    stream: Any = litellm.completion(
        model="openai/smart", messages=MESSAGES, stream=True, **_openai_kwargs(url)
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == "streamed hello", text
    return f"ok: {text!r}"


def tool_call(url: str) -> str:
    response: Any = litellm.completion(
        model=f"openai/{BEDROCK}", messages=MESSAGES, tools=[WEATHER_TOOL], **_openai_kwargs(url)
    )
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather", call
    assert json.loads(call.function.arguments) == {"city": "Paris"}, call
    return f"ok: {call.function.name}({call.function.arguments})"


def anthropic_provider_messages(url: str) -> str:
    response: Any = litellm.completion(
        model="anthropic/claude-sonnet-4-20250514",
        messages=MESSAGES,
        api_base=url,
        api_key="client-key",
        max_tokens=100,
    )
    text = response.choices[0].message.content
    assert text == "hello from claude", text
    return f"ok: {text!r}"


def anthropic_provider_stream(url: str) -> str:
    stream: Any = litellm.completion(
        model="anthropic/claude-sonnet-4-20250514",
        messages=MESSAGES,
        api_base=url,
        api_key="client-key",
        max_tokens=100,
        stream=True,
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == "streamed claude", text
    return f"ok: {text!r}"


def responses_api(url: str) -> str:
    response: Any = litellm.responses(
        model="openai/gpt-4o", input="Say hello.", api_base=f"{url}/v1", api_key="client-key"
    )
    texts = [
        part.text
        for item in response.output
        if getattr(item, "type", None) == "message"
        for part in item.content
    ]
    assert texts == ["hello from responses"], texts
    return f"ok: {texts[0]!r}"


def json_schema_on_bedrock(url: str) -> str:
    response: Any = litellm.completion(
        model=f"openai/{BEDROCK}", messages=MESSAGES, response_format=Color, **_openai_kwargs(url)
    )
    color = Color.model_validate_json(response.choices[0].message.content)
    assert color == Color(name="red", hex="#ff0000"), color
    return f"ok: {color!r}"


CHECKS: dict[str, Callable[[str], str]] = {
    check.__name__: check
    for check in (
        chat_via_openai_provider,
        chat_stream,
        tool_call,
        anthropic_provider_messages,
        anthropic_provider_stream,
        responses_api,
        json_schema_on_bedrock,
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
