"""Reading the orchestrator's answer."""

from __future__ import annotations

import pytest

from brightstaff.routing.answer import (
    MalformedAnswerError,
    answer_content,
    first_known_route,
    route_names,
)

KNOWN = {"Image generation", "Code generation"}


@pytest.mark.parametrize(
    ("content", "names"),
    [
        ('{"route": ["Image generation"]}', ["Image generation"]),
        (
            '{"route": ["Image generation", "Code generation"]}',
            ["Image generation", "Code generation"],
        ),
        ('{"route": []}', []),
        ('{"route": null}', []),
        ("{}", []),
        ("", []),
        ("{'route': ['Image generation']}\\n", ["Image generation"]),
        ('{"route": ["", "Code generation"]}', ["Code generation"]),
    ],
)
def test_route_names(content: str, names: list[str]) -> None:
    assert route_names(content) == names


@pytest.mark.parametrize(
    "content", ['{"route": ["route1"', "route: x", "[]", '{"route": "x"}', '{"route": [1]}']
)
def test_malformed_answers_raise(content: str) -> None:
    with pytest.raises(MalformedAnswerError):
        route_names(content)


def test_the_first_known_route_wins() -> None:
    assert first_known_route(["Unknown", "Code generation", "Image generation"], KNOWN) == (
        "Code generation"
    )
    assert first_known_route(["Unknown route"], KNOWN) is None


def test_answer_content() -> None:
    reply = {"choices": [{"message": {"role": "assistant", "content": "x"}}]}
    assert answer_content(reply) == "x"
    assert answer_content({"choices": []}) == ""
    assert answer_content({"choices": [{"message": {"content": None}}]}) == ""
    assert answer_content({}) == ""
