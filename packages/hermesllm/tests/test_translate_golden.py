"""Golden fixtures: client request → upstream request, upstream response → client response.

Each JSON file under golden/requests holds one client request and, per upstream API, the exact
upstream request expected (or the typed error expected). Each file under golden/responses holds
one upstream response and, per client API, the exact client response expected. Every expected
OpenAI and Anthropic response must also validate against the official SDK types.

Set HERMESLLM_UPDATE_GOLDEN=1 to rewrite the expected values from the current translators
(then review the diff).
"""

import json
import os
import re
from pathlib import Path
from typing import Any

import anthropic.types
import msgspec
import openai.types.chat
import openai.types.responses
import pytest

from hermesllm import errors
from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import (
    prepare_upstream_request,
    response_usage,
    translate_response,
    translate_response_with_usage,
)
from hermesllm.types import bedrock, gemini

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HERMESLLM_UPDATE_GOLDEN") == "1"
_GENERATED_ID = re.compile(r"[0-9a-f]{32}|(?<=call_)[0-9a-f]{24}|(?<=fc_)[0-9a-f]{24}")
_VOLATILE_TIME_KEYS = ("created", "created_at")


def _cases(kind: str) -> list[Any]:
    cases = []
    for path in sorted((GOLDEN / kind).glob("*.json")):
        data = json.loads(path.read_text())
        for target in data["expected"]:
            cases.append(pytest.param(path, target, id=f"{path.stem}->{target}"))
    return cases


def _write_expected(path: Path, target: str, value: Any) -> None:
    data = json.loads(path.read_text())
    data["expected"][target] = value
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _outcome(run: Any) -> Any:
    try:
        return {"result": json.loads(run())}
    except errors.HermesError as exc:
        return {"error": {"type": type(exc).__name__, "message": str(exc)}}


def _stable(value: Any, top: bool = True) -> Any:
    """Replace generated ids and wall-clock times so outputs compare deterministically."""
    if isinstance(value, dict):
        return {
            key: 0 if top and key in _VOLATILE_TIME_KEYS else _stable(item, False)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_stable(item, False) for item in value]
    if isinstance(value, str):
        return _GENERATED_ID.sub("<generated>", value)
    return value


@pytest.mark.parametrize(("path", "upstream"), _cases("requests"))
def test_request_golden(path: Path, upstream: str) -> None:
    data = json.loads(path.read_text())
    body = json.dumps(data["request"]).encode()

    def run() -> bytes:
        return prepare_upstream_request(
            body,
            ClientApi(data["client"]),
            UpstreamApi(upstream),
            provider=ProviderId(data["provider"]),
            model=data["model"],
        )

    actual = _outcome(run)
    if "result" in actual:
        actual = actual["result"]
    if UPDATE:
        _write_expected(path, upstream, actual)
        return
    assert actual == data["expected"][upstream]


@pytest.mark.parametrize(("path", "client"), _cases("responses"))
def test_response_golden(path: Path, client: str) -> None:
    data = json.loads(path.read_text())
    body = json.dumps(data["response"]).encode()

    def run() -> bytes:
        upstream = UpstreamApi(data["upstream"])
        return translate_response(body, upstream, ClientApi(client), model=data["model"])

    actual = _stable(_outcome(run)["result"])
    if UPDATE:
        _write_expected(path, client, actual)
        return
    assert actual == data["expected"][client]


def _expects_error(path: object, target: object) -> bool:
    """True when a golden request scenario expects a translation error for `target`."""
    assert isinstance(path, Path) and isinstance(target, str)
    return "error" in json.loads(path.read_text())["expected"][target]


_SDK_TYPES: dict[str, Any] = {
    "openai_chat_completions": openai.types.chat.ChatCompletion,
    "openai_responses": openai.types.responses.Response,
    "anthropic_messages": anthropic.types.Message,
}


@pytest.mark.parametrize(("path", "client"), _cases("responses"))
def test_expected_response_validates_against_sdk(path: Path, client: str) -> None:
    expected = json.loads(path.read_text())["expected"][client]
    _SDK_TYPES[client].model_validate(expected)


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        case
        for case in _cases("requests")
        if case.values[1] in ("amazon_bedrock_converse", "gemini_generate_content")
        and not _expects_error(*case.values)
    ],
)
def test_expected_native_request_decodes_as_wire_type(path: Path, upstream: str) -> None:
    expected = json.loads(path.read_text())["expected"][upstream]
    wire_type = (
        bedrock.ConverseRequest
        if upstream == "amazon_bedrock_converse"
        else gemini.GenerateContentRequest
    )
    msgspec.convert(expected, wire_type)


@pytest.mark.parametrize("kind", ["requests", "responses"])
def test_every_pair_has_eight_scenarios(kind: str) -> None:
    pairs: dict[tuple[str, str], int] = {}
    for path in (GOLDEN / kind).glob("*.json"):
        data = json.loads(path.read_text())
        source = data["client"] if kind == "requests" else data["upstream"]
        for target in data["expected"]:
            if source != target:
                pairs[(source, target)] = pairs.get((source, target), 0) + 1
    assert len(pairs) == (10 if kind == "requests" else 12)
    assert min(pairs.values()) >= 8, pairs


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_null(item) for item in value)
    return False


@pytest.mark.parametrize(("path", "upstream"), _cases("requests"))
def test_translated_requests_never_send_null(path: Path, upstream: str) -> None:
    data = json.loads(path.read_text())
    if data["client"] != upstream:
        assert not _has_null(data["expected"][upstream])


@pytest.mark.parametrize(("path", "client"), _cases("responses"))
def test_translate_with_usage_matches_the_separate_calls(path: Path, client: str) -> None:
    data = json.loads(path.read_text())
    body = json.dumps(data["response"]).encode()
    upstream, api = UpstreamApi(data["upstream"]), ClientApi(client)
    translated, usage = translate_response_with_usage(body, upstream, api, model=data["model"])
    expected = translate_response(body, upstream, api, model=data["model"])
    assert _stable(json.loads(translated)) == _stable(json.loads(expected))
    assert usage == response_usage(body, upstream)
