"""The fake orchestrator reads the prompts brightstaff builds."""

from __future__ import annotations

from brightstaff.routing.prompt import ChatTurn, RouteSpec, build_prompt
from plano_testkit.orchestrator import OfferedRoute, pick_route, read_prompt

ROUTES = [
    RouteSpec("code generation", "writing new code snippets functions"),
    RouteSpec("image generation", "drawing pictures and images"),
]


def test_it_reads_routes_and_conversation_back() -> None:
    turns = [ChatTurn("user", 'draw "pictures"\nplease'), ChatTurn("assistant", "ok")]
    routes, conversation = read_prompt(build_prompt(ROUTES, turns))
    assert routes == [OfferedRoute(r.name, r.description) for r in ROUTES]
    assert conversation == [
        {"role": "user", "content": 'draw "pictures"\nplease'},
        {"role": "assistant", "content": "ok"},
    ]


def test_the_latest_user_message_picks_the_route() -> None:
    offered = [OfferedRoute(r.name, r.description) for r in ROUTES]
    conversation = [
        {"role": "user", "content": "write code"},
        {"role": "assistant", "content": "draw images"},
        {"role": "user", "content": "now some pictures"},
    ]
    assert pick_route(offered, conversation) == "image generation"
    assert pick_route(offered, [{"role": "user", "content": "the weather"}]) is None
    tie = [{"role": "user", "content": "generation"}]
    assert pick_route(offered, tie) == "code generation"
