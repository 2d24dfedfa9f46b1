"""Errors are OpenAI-style JSON with clear statuses; nothing a client or a callout sends crashes
the gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plano_testkit import Reply, free_port
from plano_testkit.function_calling import FcAnswer
from plano_testkit.raw_client import RawResponse, post

ASK = [{"role": "user", "content": "weather in Seattle for 2 days"}]


def _chat(gateway: Any, body: Any) -> RawResponse:
    data = body if isinstance(body, bytes) else None
    return post(f"{gateway.prompt_url}/v1/chat/completions", data or body, timeout=30)


def _error(response: RawResponse) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["type"]
    return dict(error)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "invalid JSON body"),
        (b"[1, 2]", "must be a JSON object"),
        ({"messages": ASK}, "`model`"),
        ({"model": "m", "messages": []}, "`messages`"),
        ({"model": "m", "messages": [{"content": "x"}]}, "messages[0]"),
        ({"model": "m", "messages": ASK, "stream": "yes"}, "`stream`"),
        ({"model": "m", "messages": ASK, "metadata": "x"}, "`metadata`"),
        ({"model": "../x", "messages": ASK}, "`model`"),
        ({"model": "m", "messages": [{"role": "user", "content": None}]}, "no content"),
        ({"model": "m", "messages": ASK, "metadata": {"x-arch-state": "{oops"}}, "x-arch-state"),
        (
            {"model": "m", "messages": ASK, "metadata": {"x-arch-state": '{"messages": 3}'}},
            "x-arch",
        ),
        ({"model": "m", "messages": ASK, "metadata": {"x-arch-state": "[1]"}}, "x-arch-state"),
    ],
)
def test_bad_requests_are_400(fakes: Any, gateway: Any, body: Any, needle: str) -> None:
    response = _chat(gateway, body)
    assert response.status == 400, response.body
    assert needle in _error(response)["message"]
    assert len(fakes.fc.requests) == 0


def test_state_sent_back_as_an_object_is_read(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.clarify("Which days?"))
    state = {"messages": [{"role": "assistant", "content": "x"}]}
    response = _chat(gateway, {"model": "m", "messages": ASK, "metadata": {"x-arch-state": state}})
    assert response.status == 200
    assert [m["role"] for m in fakes.fc.bodies[0]["messages"]] == ["assistant", "user"]


def test_unknown_tool_is_500(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("drop_tables", {}))
    response = _chat(gateway, {"model": "m", "messages": ASK})
    assert response.status == 500
    assert "drop_tables" in _error(response)["message"]
    assert len(fakes.api.received) == 0


def test_missing_path_parameter_is_400(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_user", {"verbose": True}))
    response = _chat(gateway, {"model": "m", "messages": ASK})
    assert response.status == 400
    assert _error(response)["message"] == (
        "error computing api request path or body: Missing value for parameter `user_id`"
    )


@pytest.mark.parametrize(
    "answer",
    [
        b"not json",
        b'{"choices": []}',
        b'{"choices": [{"message": {"tool_calls": [{"function": {"name": 3}}]}}]}',
        b'{"choices": [{"message": {"tool_calls": [{"function": {"name": "get_user", '
        b'"arguments": "{oops"}}]}}]}',
    ],
)
def test_unusable_function_calling_answer_is_502(fakes: Any, gateway: Any, answer: bytes) -> None:
    fakes.fc.enqueue(FcAnswer(status=299, error_body=answer))
    response = _chat(gateway, {"model": "m", "messages": ASK})
    assert response.status == 502
    assert "function-calling" in _error(response)["message"]


def test_egress_error_status_is_relayed(fakes: Any, gateway: Any) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "x", "days": "1"}))
    fakes.api.respond("/weather", 200, {"ok": True})
    fakes.llm.enqueue(Reply(status=429, error_message="slow down"))
    for stream in (False, True):
        if stream:
            fakes.fc.enqueue(FcAnswer.call("get_current_weather", {"location": "x", "days": "1"}))
            fakes.llm.enqueue(Reply(status=429, error_message="slow down"))
        response = _chat(gateway, {"model": "m", "messages": ASK, "stream": stream})
        assert response.status == 429
        assert "slow down" in _error(response)["message"]


def test_unreachable_callouts_are_502(fakes: Any, gateway_starter: Callable[..., Any]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    env = {"PLANO_FUNCTION_CALLING_URL": f"{dead}/function_calling"}
    with gateway_starter(fakes, env=env) as running:
        response = _chat(running, {"model": "m", "messages": ASK})
        assert response.status == 502
        assert "host=arch_internal" in _error(response)["message"]
        running.wait_log('"status":502')


def test_wrong_method_and_path_are_json(gateway: Any) -> None:
    import urllib.error
    import urllib.request

    for path, status in (("/v1/chat/completions", 405), ("/nope", 404)):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{gateway.prompt_url}{path}", timeout=5)
        assert caught.value.code == status
        assert b'"error"' in caught.value.read()
