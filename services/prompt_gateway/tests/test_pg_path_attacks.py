"""Hostile tool-call arguments never change the developer API's path nor add a header.

The API server records the raw request target and headers it received.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from plano_testkit import Reply
from plano_testkit.function_calling import FcAnswer

ATTACKS = [
    "../admin",
    "../../etc/passwd",
    "a/b?x=1",
    "%2e%2e",
    "%2e%2e%2fadmin",
    "..",
    ".",
    "a#frag",
    "x\r\nX-Injected: 1",
    "x\nX-Injected: 1",
    "%0d%0aX-Injected:%201",
    "a;b=c",
    "\\..\\admin",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_path_parameter_stays_one_segment(fakes: Any, gateway: Any, value: str) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_user", {"user_id": value, "verbose": True}))
    fakes.llm.enqueue(Reply(text="done"))
    ask = [{"role": "user", "content": "look up a user"}]
    completion = gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=ask)
    assert completion.choices[0].message.content == "done"
    [sent] = fakes.api.received
    prefix, _, segment = sent.raw_path.partition("/users/")
    assert prefix == ""
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert unquote(segment) == value
    assert sent.query_string == "verbose=true"
    assert "x-injected" not in sent.headers
    assert sent.method == "GET"


@pytest.mark.parametrize("value", ["../admin", "a/b?x=1", "x\r\nX-Injected: 1"])
def test_query_argument_stays_a_value(fakes: Any, gateway: Any, value: str) -> None:
    fakes.fc.enqueue(FcAnswer.call("get_user", {"user_id": "u1", "note": value}))
    fakes.llm.enqueue(Reply(text="done"))
    gateway.sdk().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "user u1"}]
    )
    [sent] = fakes.api.received
    assert sent.raw_path == "/users/u1"
    name, _, encoded = sent.query_string.split("&")[0].partition("=")
    assert name == "note" and unquote(encoded) == value
    assert "x-injected" not in sent.headers


def test_argument_named_like_a_header_is_not_a_header(fakes: Any, gateway: Any) -> None:
    arguments = {"user_id": "u1", "x-api-key": "stolen", "Host": "evil.example"}
    fakes.fc.enqueue(FcAnswer.call("get_user", arguments))
    fakes.llm.enqueue(Reply(text="done"))
    gateway.sdk().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "user u1"}]
    )
    [sent] = fakes.api.received
    assert sent.headers["x-api-key"] == "dev-api-key-123"
    assert sent.headers["host"].startswith("127.0.0.1:")
