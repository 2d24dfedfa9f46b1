"""What the native-tools backend sends: the client's history and tools, ``tool_choice: auto``,
the clarification tool; and a model answer the backend cannot use."""

from __future__ import annotations

import openai
import pytest

from plano_testkit import FakeUpstream, Reply

from .conftest import TOOLS, FcChain


def test_request_offers_the_tools_and_the_clarification_tool(
    native_chain: FcChain, fake_upstream: FakeUpstream
) -> None:
    history = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "weather?"}]
    fake_upstream.enqueue(Reply(text="Which city?"))
    native_chain.ask(history)
    [request] = fake_upstream.requests
    body = request.json
    assert body["model"] == "gpt-4o-mini" and body["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["tools"]] == [
        "get_weather",
        "get_time",
        "request_missing_parameters",
    ]
    assert body["tools"][:2] == TOOLS
    assert body["messages"][1:] == history and body["messages"][0]["role"] == "system"


def test_upstream_error_is_500(native_chain: FcChain, fake_upstream: FakeUpstream) -> None:
    fake_upstream.enqueue(Reply(status=500))
    with pytest.raises(openai.InternalServerError) as caught:
        native_chain.ask([{"role": "user", "content": "weather?"}])
    assert caught.value.response.json()["error"].startswith(
        "[Arch-Function] - Error in function calling: "
    )
