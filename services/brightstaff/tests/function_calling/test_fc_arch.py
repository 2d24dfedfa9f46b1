"""The Arch-Function protocol end to end: the prompt sent, the hallucination check and its
one clarification retry, the malformed answers the parser repairs, error bodies."""

from __future__ import annotations

import http.client
import json
from typing import Any

import openai
import pytest

from brightstaff.function_calling.prompt import CLARIFY_PREFIX, DEFAULT_PREFIX, TASK_PROMPT
from plano_testkit.arch_function import ArchAnswer, FakeArchFunction, tool_calls_text

from .conftest import TOOLS, FcChain

USER = [{"role": "user", "content": "What's the weather in Paris, in celsius?"}]
PARIS = [("get_weather", {"city": "Paris", "unit": "celsius"})]


def _calls(answer: Any) -> list[tuple[str, Any]]:
    message = answer["choices"][0]["message"]
    return [
        (c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in message.get("tool_calls", [])
    ]


def test_request_carries_the_prompt_prefill_and_sampling(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    fake_arch.enqueue(ArchAnswer(text=tool_calls_text(PARIS)))
    arch_chain.ask(USER)
    [body] = fake_arch.bodies
    assert body["model"] == "Arch-Function" and body["stream"] is True
    system, user, prefill = body["messages"]
    assert system["role"] == "system"
    assert system["content"].startswith(TASK_PROMPT.split("{tools}")[0])
    assert (
        '\\n{"name":"get_weather","description":"Current weather in a city."' in system["content"]
    )
    assert system["content"].endswith("... (more tool calls as required)]}\\n```")
    assert user == USER[0]
    assert prefill == {"role": "assistant", "content": DEFAULT_PREFIX}
    expected = {
        "temperature": 0.1,
        "top_p": 1.0,
        "max_tokens": 1024,
        "logprobs": True,
        "top_logprobs": 10,
        "continue_final_message": True,
        "add_generation_prompt": False,
        "top_k": 10,
        "stop_token_ids": [151645],
    }
    assert {k: body[k] for k in expected} == expected


def test_history_rewritten_as_tool_call_and_tool_response(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    call = {"name": "get_weather", "arguments": '{"city":"Paris","unit":"celsius"}'}
    history = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": call}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "18C sunny"},
        {"role": "user", "content": "thanks, and the time in UTC?"},
    ]
    fake_arch.enqueue(ArchAnswer(text=tool_calls_text([("get_time", {"tz": "UTC"})])))
    assert _calls(arch_chain.ask(history)) == [("get_time", {"tz": "UTC"})]
    sent = fake_arch.bodies[0]["messages"][1:-1]
    assert sent[1] == {
        "role": "assistant",
        "content": f"<tool_call>\n{json.dumps(call, separators=(',', ':'))}\n</tool_call>",
    }
    assert sent[2] == {
        "role": "user",
        "content": '<tool_response>\n{"name":"get_weather","result":"18C sunny"}\n</tool_response>',
    }
    assert sent[3]["role"] == "user"


def test_optimize_context_window_empties_tool_results(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    history = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "18C sunny"},
    ]
    arch_chain.ask(history, metadata={"optimize_context_window": "true"})
    assert fake_arch.bodies[0]["messages"][-2] == {
        "role": "user",
        "content": "<tool_response>\n\n</tool_response>",
    }


def test_confident_value_is_not_retried(arch_chain: FcChain, fake_arch: FakeArchFunction) -> None:
    fake_arch.enqueue(ArchAnswer(text=tool_calls_text(PARIS)))
    assert _calls(arch_chain.ask(USER)) == PARIS
    assert [b["stream"] for b in fake_arch.bodies] == [True]


def test_hallucinated_required_value_retries_once_for_clarification(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    fake_arch.enqueue(
        ArchAnswer(
            text=tool_calls_text(PARIS),
            uncertain=("Paris",),
            functions=("get_weather",),
            clarification="Which city?",
        )
    )
    answer = arch_chain.ask([{"role": "user", "content": "weather in celsius please"}])
    message = answer["choices"][0]["message"]
    assert message == {"role": "assistant", "content": "Which city?"}
    first, retry = fake_arch.bodies
    assert first["stream"] is True and retry["stream"] is False
    assert retry["messages"][-1] == {"role": "assistant", "content": CLARIFY_PREFIX}
    assert retry["messages"][:-1] == first["messages"][:-1]


@pytest.mark.parametrize(
    ("calls", "uncertain"),
    [
        (PARIS, ("celsius",)),
        ([("get_weather", {"city": "Paris", "unit": "celsius", "days": 3})], ("3",)),
        (PARIS, ("get_weather",)),
    ],
    ids=["enum-parameter", "optional-parameter", "function-name"],
)
def test_uncertain_token_outside_a_required_value_is_not_retried(
    arch_chain: FcChain, fake_arch: FakeArchFunction, calls: Any, uncertain: tuple[str, ...]
) -> None:
    fake_arch.enqueue(ArchAnswer(text=tool_calls_text(calls), uncertain=uncertain))
    assert _calls(arch_chain.ask(USER)) == calls
    assert len(fake_arch.bodies) == 1


def test_second_call_hallucination_is_caught(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    calls = [*PARIS, ("get_time", {"tz": "Asia/Tokyo"})]
    fake_arch.enqueue(
        ArchAnswer(text=tool_calls_text(calls), uncertain=("Asia",), functions=("get_time",))
    )
    arch_chain.ask(USER)
    assert [b["stream"] for b in fake_arch.bodies] == [True, False]


QUOTE, APOSTROPHE = '"', "'"
PARIS_JSON = '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}'


@pytest.mark.parametrize(
    "answer",
    [
        ArchAnswer(text=tool_calls_text(PARIS), echo_prefill=True),
        ArchAnswer(text=f'```json\n{{"tool_calls": [{PARIS_JSON}]}}\n```'),
        ArchAnswer(text=f'{{"tool_calls": [{PARIS_JSON}]}}'),
        ArchAnswer(text=f'tool_calls": [{PARIS_JSON}\n```'),
        ArchAnswer(text=f'tool_calls": [{PARIS_JSON}]}}]}}\n```'),
        ArchAnswer(text=f"tool_calls': [{PARIS_JSON.replace(QUOTE, APOSTROPHE)}]}}\n```"),
    ],
    ids=[
        "prefill-echoed",
        "fenced",
        "bare-json",
        "unclosed-brackets",
        "extra-brackets",
        "single-quotes",
    ],
)
def test_malformed_answers_are_repaired(
    arch_chain: FcChain, fake_arch: FakeArchFunction, answer: ArchAnswer
) -> None:
    fake_arch.enqueue(answer)
    result = arch_chain.ask(USER)
    assert _calls(result) == PARIS
    raw = result["metadata"]["x-arch-fc-model-response"]
    compact = '{"name":"get_weather","arguments":{"city":"Paris","unit":"celsius"}}'
    assert raw == f'```json\n{{"tool_calls":[{compact}]}}\n```'


def test_unrepairable_answer_is_an_empty_reply(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    fake_arch.enqueue(ArchAnswer(text="I think you want the weather: Paris"))
    answer = arch_chain.ask(USER)
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": ""}
    assert answer["metadata"]["x-arch-fc-model-response"] == ""


def test_model_error_is_500_with_the_original_body(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    fake_arch.enqueue(ArchAnswer(status=500))
    with pytest.raises(openai.InternalServerError) as caught:
        arch_chain.ask(USER)
    error = caught.value.response.json()["error"]
    assert error.startswith("[Arch-Function] - Error in function calling: ")


def test_agent_mode_skips_the_hallucination_check(
    arch_chain: FcChain, fake_arch: FakeArchFunction
) -> None:
    fake_arch.enqueue(ArchAnswer(text=tool_calls_text(PARIS), uncertain=("Paris",)))
    answer = arch_chain.ask(USER, metadata={"use_agent_orchestrator": True})
    assert _calls(answer) == PARIS
    assert len(fake_arch.bodies) == 1 and fake_arch.bodies[0]["temperature"] == 0.01
    fake_arch.enqueue(ArchAnswer(status=500))
    with pytest.raises(openai.InternalServerError) as caught:
        arch_chain.ask(USER, metadata={"use_agent_orchestrator": True})
    assert caught.value.response.json()["error"].startswith(
        "[Arch-Agent] - Error in function calling: "
    )


def test_no_tools_still_answers(arch_chain: FcChain, fake_arch: FakeArchFunction) -> None:
    answer = arch_chain.ask(USER, tools=None)
    assert answer["choices"][0]["message"]["content"] == ""
    assert [m["role"] for m in fake_arch.bodies[0]["messages"]] == ["user", "assistant"]


def test_oversized_body_is_refused_before_reading(arch_chain: FcChain) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", arch_chain.brightstaff.port, timeout=10)
    connection.putrequest("POST", "/function_calling")
    connection.putheader("content-type", "application/json")
    connection.putheader("content-length", str(64 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert "error" in json.loads(response.read())
    connection.close()


def test_large_conversation_is_truncated(arch_chain: FcChain, fake_arch: FakeArchFunction) -> None:
    turns: list[dict[str, Any]] = []
    for i in range(200):
        turns += [
            {"role": "user", "content": f"question {i} " + "y" * 400},
            {"role": "assistant", "content": "ok"},
        ]
    turns.append({"role": "user", "content": "the last question"})
    arch_chain.ask(turns, tools=TOOLS)
    sent = fake_arch.bodies[0]["messages"]
    assert sent[0]["role"] == "system" and sent[-2] == {
        "role": "user",
        "content": "the last question",
    }
    assert 3 <= len(sent) < 20
