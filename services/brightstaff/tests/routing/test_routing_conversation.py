"""Client requests as chat turns, user-turn detection and the implicit session key."""

from __future__ import annotations

from brightstaff.routing.affinity import fnv1a64, implicit_affinity
from brightstaff.routing.conversation import conversation, is_user_turn
from brightstaff.routing.prompt import ChatTurn
from hermesllm.apis import ClientApi


def test_chat_messages() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url"}]},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
            {"role": "tool", "content": "22C"},
        ]
    }
    assert conversation(body, ClientApi.CHAT) == [
        ChatTurn("system", "be brief"),
        ChatTurn("user", "hi", attachment=True),
        ChatTurn("assistant", ""),
        ChatTurn("tool", "22C"),
    ]


def test_anthropic_tool_results_become_tool_turns() -> None:
    body = {
        "system": [{"type": "text", "text": "sys"}],
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "w"}]},
            {"role": "user", "content": [{"type": "tool_result", "content": "sunny"}]},
        ],
    }
    turns = conversation(body, ClientApi.MESSAGES)
    assert turns == [
        ChatTurn("system", "sys"),
        ChatTurn("user", "weather?"),
        ChatTurn("assistant", ""),
        ChatTurn("tool", "sunny"),
    ]
    assert not is_user_turn(turns)


def test_responses_items() -> None:
    body = {
        "instructions": "be brief",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "function_call", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "output": "done"},
        ],
    }
    turns = conversation(body, ClientApi.RESPONSES)
    assert turns[0] == ChatTurn("system", "be brief")
    assert turns[1] == ChatTurn("user", "hi")
    assert turns[-1].role == "tool"
    assert conversation({"input": "hello"}, ClientApi.RESPONSES) == [ChatTurn("user", "hello")]


def test_user_turns() -> None:
    assert is_user_turn([ChatTurn("user", "go on")])
    assert is_user_turn([ChatTurn("user", "", attachment=True)])
    assert not is_user_turn([ChatTurn("user", "<system-reminder>ctx</system-reminder>  ")])
    assert not is_user_turn([ChatTurn("user", "<system-reminder>cut short")])
    assert is_user_turn([ChatTurn("user", "<system-reminder>x</system-reminder> fix it")])
    assert not is_user_turn([ChatTurn("assistant", "done")])
    assert not is_user_turn([])


def test_fnv1a64_is_salted_and_separates_fields() -> None:
    assert fnv1a64(["ab", "c"]) != fnv1a64(["a", "bc"])
    assert fnv1a64([]) == fnv1a64([])
    assert 0 <= fnv1a64(["x"]) < 2**64


def test_implicit_key_is_stable_as_history_grows() -> None:
    first = [ChatTurn("system", "You are a coding agent."), ChatTurn("user", "Fix the bug")]
    later = [*first, ChatTurn("assistant", "Done."), ChatTurn("user", "Now add tests")]
    a, b = implicit_affinity(first, [], None), implicit_affinity(later, [], None)
    assert a is not None and b is not None
    assert a == b
    assert a.session_key.startswith("implicit:")
    assert len(a.session_key) == len("implicit:") + 16


def test_implicit_key_depends_on_prompt_head_tools_and_tenant() -> None:
    turns = [ChatTurn("system", "s"), ChatTurn("user", "u")]
    plain = implicit_affinity(turns, [], None)
    other_user = implicit_affinity([ChatTurn("system", "s"), ChatTurn("user", "v")], [], None)
    assert plain and other_user
    assert plain.prefix_hash == other_user.prefix_hash
    assert plain.session_key != other_user.session_key
    assert plain != implicit_affinity(turns, ["get_weather"], None)
    assert plain != implicit_affinity(turns, [], "acme")
    assert implicit_affinity([ChatTurn("system", "s")], [], None) is None


def _reference_fnv(fields: list[str]) -> int:
    value = 0xCBF29CE484222325
    for chunk in [b"plano-affinity-v1", *(f.encode() for f in fields)]:
        for byte in chunk:
            value = ((value ^ byte) * 0x100000001B3) % 2**64
        value = ((value ^ 0x1F) * 0x100000001B3) % 2**64
    return value


def test_fnv1a64_matches_a_plain_implementation() -> None:
    for fields in (
        [],
        [""],
        ["a"],
        ["tenant", "sys\nprompt", "get_weather", "héllo"],
        ["x" * 70_000],
    ):
        assert fnv1a64(fields) == _reference_fnv(fields)
        assert fnv1a64(fields) == _reference_fnv(fields)
