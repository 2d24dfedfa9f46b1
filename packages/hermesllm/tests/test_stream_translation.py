"""Stream translators: chunking independence, client envelopes, errors, and pass-through."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.sse import SseParser
from hermesllm.streaming import StreamTranslator, new_stream_translator
from hermesllm.usage import Usage
from plano_testkit.bedrock_recordings import RECORDING_NAMES, SOURCES, recording

UPSTREAMS = {
    "chat": UpstreamApi.CHAT,
    "anthropic": UpstreamApi.MESSAGES,
    "responses": UpstreamApi.RESPONSES,
    "gemini": UpstreamApi.GEMINI,
    "bedrock": UpstreamApi.BEDROCK_CONVERSE,
}
CLIENTS = [ClientApi.CHAT, ClientApi.MESSAGES, ClientApi.RESPONSES]
SCENARIOS = ["text", "thinking", "tools", "mixed", "error"]


def new(
    upstream: UpstreamApi, client: ClientApi, *, include_usage: bool = True
) -> StreamTranslator:
    return new_stream_translator(
        upstream,
        client,
        model="test-model",
        include_usage=include_usage,
        fallback_id="fx",
        created=7,
    )


def run(translator: StreamTranslator, chunks: list[bytes]) -> bytes:
    out = [translator.feed(chunk) for chunk in chunks]
    out.append(translator.finish())
    return b"".join(out)


def sse_events(data: bytes) -> list[tuple[str | None, Any]]:
    parser = SseParser()
    events = parser.feed(data) + parser.close()
    return [(e.event, e.data if e.data == "[DONE]" else json.loads(e.data)) for e in events]


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.value)
@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_output_is_independent_of_chunking(
    upstream_bytes: Any, upstream: str, client: ClientApi, scenario: str
) -> None:
    api = UPSTREAMS[upstream]
    data = upstream_bytes(upstream, scenario)
    whole = run(new(api, client), [data])
    assert whole
    one_byte = run(new(api, client), [data[i : i + 1] for i in range(len(data))])
    assert one_byte == whole
    for offset in range(64):
        chunks = [data[:offset]] + [data[i : i + 64] for i in range(offset, len(data), 64)]
        assert run(new(api, client), chunks) == whole, offset


def _anthropic_envelope_ok(events: list[tuple[str | None, Any]]) -> None:
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert names.count("message_start") == 1
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("message_delta") == 1
    assert names.count("message_stop") == 1
    for name, body in events:
        assert body["type"] == name
    open_blocks: dict[int, str] = {}
    seen: set[int] = set()
    allowed = {
        "text": {"text_delta"},
        "thinking": {"thinking_delta", "signature_delta"},
        "tool_use": {"input_json_delta"},
    }
    for name, body in events:
        if name == "content_block_start":
            index = body["index"]
            assert index not in seen
            seen.add(index)
            open_blocks[index] = body["content_block"]["type"]
            if body["content_block"]["type"] == "tool_use":
                assert body["content_block"]["input"] == {}
        elif name == "content_block_delta":
            assert body["delta"]["type"] in allowed[open_blocks[body["index"]]]
        elif name == "content_block_stop":
            del open_blocks[body["index"]]
    assert not open_blocks
    assert sorted(seen) == list(range(len(seen)))
    message_delta = events[-2][1]
    assert message_delta["delta"]["stop_reason"]
    assert "output_tokens" in message_delta["usage"]


@pytest.mark.parametrize("scenario", ["text", "thinking", "tools", "mixed"])
@pytest.mark.parametrize("upstream", sorted(set(UPSTREAMS) - {"anthropic"}))
def test_anthropic_client_envelope(upstream_bytes: Any, upstream: str, scenario: str) -> None:
    data = upstream_bytes(upstream, scenario)
    events = sse_events(run(new(UPSTREAMS[upstream], ClientApi.MESSAGES), [data]))
    _anthropic_envelope_ok(events)
    starts = [
        body["content_block"]["type"] for name, body in events if name == "content_block_start"
    ]
    if scenario == "tools":
        assert starts == ["text", "tool_use", "tool_use"]
    if scenario == "mixed":
        assert starts == ["text", "tool_use"]


@pytest.mark.parametrize("scenario", ["text", "thinking", "tools", "mixed"])
@pytest.mark.parametrize("upstream", sorted(set(UPSTREAMS) - {"chat"}))
def test_chat_client_sequence(upstream_bytes: Any, upstream: str, scenario: str) -> None:
    data = upstream_bytes(upstream, scenario)
    events = sse_events(run(new(UPSTREAMS[upstream], ClientApi.CHAT), [data]))
    assert events[-1] == (None, "[DONE]")
    chunks = [body for _, body in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] > 0
    final = chunks[-2]["choices"][0]
    assert final["finish_reason"] in ("stop", "tool_calls")
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-2])
    started: set[int] = set()
    for chunk in chunks[:-2]:
        for call in chunk["choices"][0]["delta"].get("tool_calls", []):
            if call["index"] not in started:
                assert call["id"] and call["function"]["name"]
                started.add(call["index"])
            else:
                assert set(call) == {"index", "function"}
    assert sorted(started) == list(range(len(started)))


def test_chat_client_without_include_usage_gets_no_usage_chunk(upstream_bytes: Any) -> None:
    data = upstream_bytes("anthropic", "text")
    translator = new(UpstreamApi.MESSAGES, ClientApi.CHAT, include_usage=False)
    events = sse_events(run(translator, [data]))
    assert all("usage" not in body for _, body in events[:-1])
    assert translator.usage == Usage(12, 7, cached_input_tokens=4)


@pytest.mark.parametrize("scenario", ["text", "thinking", "tools", "mixed"])
@pytest.mark.parametrize("upstream", sorted(set(UPSTREAMS) - {"responses"}))
def test_responses_client_lifecycle(upstream_bytes: Any, upstream: str, scenario: str) -> None:
    data = upstream_bytes(upstream, scenario)
    events = sse_events(run(new(UPSTREAMS[upstream], ClientApi.RESPONSES), [data]))
    assert [body["sequence_number"] for _, body in events] == list(range(len(events)))
    names = [name for name, _ in events]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    assert names.count("response.completed") == 1
    added = [body["output_index"] for name, body in events if name == "response.output_item.added"]
    done = [body["output_index"] for name, body in events if name == "response.output_item.done"]
    assert added == done == list(range(len(added)))
    final = events[-1][1]["response"]
    assert len(final["output"]) == len(added)
    assert final["usage"]["total_tokens"] > 0


def test_responses_finalized_once_without_done_marker(upstream_bytes: Any) -> None:
    data = upstream_bytes("chat", "text").replace(b"data: [DONE]\n\n", b"")
    translator = new(UpstreamApi.CHAT, ClientApi.RESPONSES)
    body = translator.feed(data)
    assert not translator.done
    tail = translator.finish()
    assert translator.done
    assert translator.finish() == b""
    names = [name for name, _ in sse_events(body + tail)]
    assert names.count("response.completed") == 1
    assert names[-1] == "response.completed"


def test_done_only_chat_stream_gives_valid_anthropic_envelope() -> None:
    events = sse_events(run(new(UpstreamApi.CHAT, ClientApi.MESSAGES), [b"data: [DONE]\n\n"]))
    assert [name for name, _ in events] == ["message_start", "message_delta", "message_stop"]
    _anthropic_envelope_ok(events)


def test_nothing_follows_message_stop(upstream_bytes: Any) -> None:
    data = upstream_bytes("chat", "text") + upstream_bytes("chat", "tools")
    translator = new(UpstreamApi.CHAT, ClientApi.MESSAGES)
    out = translator.feed(data)
    assert out.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert out.count(b"event: message_stop") == 1
    assert translator.feed(b"data: [DONE]\n\n") == b""
    assert translator.finish() == b""
    assert translator.fail("late") == b""


def test_finish_reason_in_the_content_chunk_is_kept() -> None:
    chunk = {
        "id": "chatcmpl-1",
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "length"}],
    }
    data = b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"
    events = sse_events(run(new(UpstreamApi.CHAT, ClientApi.MESSAGES), [data]))
    assert events[-2][1]["delta"]["stop_reason"] == "max_tokens"
    assert ("content_block_delta", events[2][1]) in events


def test_interleaved_tool_arguments_keep_their_calls() -> None:
    def chunk(delta: dict[str, Any]) -> bytes:
        body = {"id": "chatcmpl-2", "model": "m", "choices": [{"index": 0, "delta": delta}]}
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    def call(index: int, **function: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"index": index, "function": function}
        if "name" in function:
            entry["id"] = f"call_{index}"
        return {"tool_calls": [entry]}

    data = b"".join(
        [
            chunk(call(0, name="a", arguments='{"x"')),
            chunk(call(1, name="b", arguments='{"y"')),
            chunk(call(0, arguments=": 1}")),
            chunk(call(1, arguments=": 2}")),
            b'data: {"id":"chatcmpl-2","choices":[{"index":0,"delta":{},'
            b'"finish_reason":"tool_calls"}]}\n\n',
        ]
    )
    events = sse_events(run(new(UpstreamApi.CHAT, ClientApi.MESSAGES), [data]))
    arguments: dict[int, str] = {}
    for name, body in events:
        if name == "content_block_delta":
            arguments[body["index"]] = (
                arguments.get(body["index"], "") + body["delta"]["partial_json"]
            )
    assert {i: json.loads(a) for i, a in arguments.items()} == {0: {"x": 1}, 1: {"y": 2}}


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.value)
@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_cut_connection_closes_with_client_error(
    upstream_bytes: Any, upstream: str, client: ClientApi
) -> None:
    data = upstream_bytes(upstream, "tools")
    translator = new(UPSTREAMS[upstream], client)
    out = translator.feed(data[: len(data) // 2]) + translator.finish()
    assert translator.done
    tail = out[-400:]
    if client is ClientApi.CHAT:
        assert out.endswith(b"data: [DONE]\n\n")
        assert b'{"error":{"message":"upstream stream ended before' in tail or upstream == "chat"
    elif client is ClientApi.MESSAGES:
        assert b"event: error\n" in tail
        assert b"message_stop" not in out or upstream == "anthropic"
    elif upstream == "responses":
        assert b"event: error\n" in tail
    else:
        last, body = sse_events(out)[-1]
        assert last in ("response.failed", "error")
        assert "ended before" in json.dumps(body)


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.value)
@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
def test_transport_failure_gives_client_error(
    upstream_bytes: Any, upstream: str, client: ClientApi
) -> None:
    data = upstream_bytes(upstream, "text")
    translator = new(UPSTREAMS[upstream], client)
    out = translator.feed(data[:300]) + translator.fail("connection reset by peer")
    assert translator.done
    assert b"connection reset by peer" in out
    assert translator.feed(data[300:]) == b"" or UPSTREAMS[upstream].value == client.value
    assert translator.finish() == b""


def test_malformed_upstream_event_becomes_client_error() -> None:
    translator = new(UpstreamApi.MESSAGES, ClientApi.CHAT)
    out = translator.feed(b"event: message_start\ndata: {not json\n\n")
    assert translator.done
    assert b'"error":{"message":"malformed upstream stream' in out
    assert out.endswith(b"data: [DONE]\n\n")


def test_bedrock_exception_frame_becomes_anthropic_error(upstream_bytes: Any) -> None:
    out = run(
        new(UpstreamApi.BEDROCK_CONVERSE, ClientApi.MESSAGES), [upstream_bytes("bedrock", "error")]
    )
    name, body = sse_events(out)[-1]
    assert name == "error"
    assert (
        body["error"]["message"]
        == "modelStreamErrorException: Model stream error: connection reset"
    )


def test_ids_derive_from_upstream_id(upstream_bytes: Any) -> None:
    out = run(
        new(UpstreamApi.MESSAGES, ClientApi.RESPONSES), [upstream_bytes("anthropic", "tools")]
    )
    response = sse_events(out)[-1][1]["response"]
    assert response["id"] == "resp_01AbCdEf"
    assert [item["id"] for item in response["output"]] == [
        "msg_01AbCdEf_0",
        "fc_01AbCdEf_1",
        "fc_01AbCdEf_2",
    ]
    assert response["model"] == "claude-sonnet-4-5-20250929"


@pytest.mark.parametrize("size", [1, 7, 64, 1000, 4096])
@pytest.mark.parametrize("name", RECORDING_NAMES)
@pytest.mark.parametrize("source", SOURCES)
def test_bedrock_recordings_translate_identically_at_any_chunk_size(
    source: str, name: str, size: int
) -> None:
    data = recording(source, name)
    for client in CLIENTS:
        whole = run(new(UpstreamApi.BEDROCK_CONVERSE, client), [data])
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert run(new(UpstreamApi.BEDROCK_CONVERSE, client), chunks) == whole


PASSTHROUGH = [
    (ClientApi.CHAT, "chat", Usage(12, 7, cached_input_tokens=4)),
    (ClientApi.MESSAGES, "anthropic", Usage(12, 7, cached_input_tokens=4)),
    (ClientApi.RESPONSES, "responses", Usage(12, 7, cached_input_tokens=4)),
]


@pytest.mark.parametrize(("client", "upstream", "usage"), PASSTHROUGH)
def test_same_api_passes_bytes_through(
    upstream_bytes: Any, client: ClientApi, upstream: str, usage: Usage
) -> None:
    data = upstream_bytes(upstream, "text")
    for size in (1, 5, 64, len(data)):
        translator = new(UPSTREAMS[upstream], client)
        assert not translator.first_token_seen
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        out = b"".join(translator.feed(chunk) for chunk in chunks)
        assert out == data
        assert translator.first_token_seen
        assert translator.done
        assert translator.finish() == b""
        assert translator.usage == usage


@pytest.mark.parametrize(("client", "upstream", "usage"), PASSTHROUGH)
def test_same_api_truncated_stream_gets_client_error(
    upstream_bytes: Any, client: ClientApi, upstream: str, usage: Usage
) -> None:
    data = upstream_bytes(upstream, "tools")
    translator = new(UPSTREAMS[upstream], client)
    cut = data[: len(data) // 2]
    whole_events = cut[: cut.rindex(b"\n\n") + 2]
    assert not cut.endswith(b"\n\n")
    assert translator.feed(cut) == whole_events
    tail = translator.finish()
    assert translator.done
    assert b"upstream stream ended before the response was complete" in tail
    assert sse_events(whole_events + tail)
    assert translator.finish() == b""


@pytest.mark.parametrize(("client", "upstream", "usage"), PASSTHROUGH)
def test_same_api_stream_cut_mid_event_sends_no_partial_event(
    upstream_bytes: Any, client: ClientApi, upstream: str, usage: Usage
) -> None:
    data = upstream_bytes(upstream, "text")
    for cut_at in range(1, len(data)):
        translator = new(UPSTREAMS[upstream], client)
        out = translator.feed(data[:cut_at]) + translator.fail("connection reset")
        assert sse_events(out), f"cut at byte {cut_at}"


@pytest.mark.parametrize(("client", "upstream", "usage"), PASSTHROUGH)
def test_same_api_upstream_error_is_forwarded_once(
    upstream_bytes: Any, client: ClientApi, upstream: str, usage: Usage
) -> None:
    data = upstream_bytes(upstream, "error")
    translator = new(UPSTREAMS[upstream], client)
    assert translator.feed(data) == data
    assert translator.done
    assert translator.finish() == b""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    upstream=st.sampled_from(sorted(UPSTREAMS)),
    client=st.sampled_from(CLIENTS),
    scenario=st.sampled_from(SCENARIOS),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=6),
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=4000), st.binary(min_size=1, max_size=3)),
        max_size=3,
    ),
)
def test_mangled_upstream_streams_never_raise(
    upstream_bytes: Any,
    upstream: str,
    client: ClientApi,
    scenario: str,
    cuts: list[int],
    flips: list[tuple[int, bytes]],
) -> None:
    data = bytearray(upstream_bytes(upstream, scenario))
    for position, junk in flips:
        data[position % len(data) : position % len(data) + len(junk)] = junk
    bounds = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    translator = new(UPSTREAMS[upstream], client)
    for start, stop in itertools.pairwise(bounds):
        translator.feed(bytes(data[start:stop]))
    translator.finish()
    assert translator.done


@settings(max_examples=40, deadline=None)
@given(
    upstream=st.sampled_from(sorted(UPSTREAMS)),
    client=st.sampled_from(CLIENTS),
    junk=st.binary(max_size=600),
)
def test_arbitrary_bytes_never_raise(upstream: str, client: ClientApi, junk: bytes) -> None:
    translator = new(UPSTREAMS[upstream], client)
    translator.feed(junk)
    translator.finish()
    assert translator.done


def test_same_api_chat_stream_without_done_marker_is_complete(upstream_bytes: Any) -> None:
    data = upstream_bytes("chat", "text").replace(b"data: [DONE]\n\n", b"")
    translator = new(UpstreamApi.CHAT, ClientApi.CHAT)
    assert translator.feed(data) == data
    assert not translator.done
    assert translator.finish() == b""
    assert translator.done
    assert translator.usage == Usage(12, 7, cached_input_tokens=4)


def test_chat_tool_calls_without_distinct_indexes_stay_separate() -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return (
            b"data: "
            + json.dumps({"id": "c", "model": "m", "choices": [choice]}).encode()
            + b"\n\n"
        )

    data = b"".join(
        [
            chunk(
                {
                    "tool_calls": [
                        {"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}
                    ]
                }
            ),
            chunk(
                {
                    "tool_calls": [
                        {"index": 0, "id": "b", "function": {"name": "g", "arguments": ""}}
                    ]
                }
            ),
            chunk({"tool_calls": [{"function": {"arguments": '{"k": 1}'}}]}),
            chunk(
                {"tool_calls": [{"id": "c", "function": {"name": "h", "arguments": "[]"}}]},
                "tool_calls",
            ),
        ]
    )
    events = sse_events(run(new(UpstreamApi.CHAT, ClientApi.MESSAGES), [data]))
    tools: dict[int, list[str]] = {}
    for name, body in events:
        if name == "content_block_start":
            block = body["content_block"]
            tools[body["index"]] = [block["id"], block["name"], ""]
        elif name == "content_block_delta":
            tools[body["index"]][2] += body["delta"]["partial_json"]
    assert list(tools.values()) == [["a", "f", "{}"], ["b", "g", '{"k": 1}'], ["c", "h", "[]"]]


def test_responses_function_call_without_argument_deltas() -> None:
    item = {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "call_9",
        "name": "f",
        "arguments": "",
    }
    done_item = {**item, "arguments": '{"a": [1, 2]}', "status": "completed"}
    response = {"id": "resp_9", "model": "gpt-5", "status": "completed", "output": []}
    events = [
        ("response.created", {"type": "response.created", "response": response}),
        (
            "response.output_item.added",
            {"type": "response.output_item.added", "output_index": 0, "item": item},
        ),
        (
            "response.output_item.done",
            {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        ),
        ("response.completed", {"type": "response.completed", "response": response}),
    ]
    data = "".join(f"event: {name}\ndata: {json.dumps(body)}\n\n" for name, body in events)
    out = sse_events(run(new(UpstreamApi.RESPONSES, ClientApi.CHAT), [data.encode()]))
    deltas = [body["choices"][0]["delta"] for _, body in out[:-1] if body["choices"]]
    calls = [call for delta in deltas for call in delta.get("tool_calls", [])]
    assert calls[0]["id"] == "call_9"
    assert "".join(c["function"].get("arguments", "") for c in calls) == '{"a": [1, 2]}'
    finals = [body["choices"][0]["finish_reason"] for _, body in out[:-1] if body["choices"]]
    assert finals[-1] == "tool_calls"


def test_thinking_signature_kept_as_responses_encrypted_content(upstream_bytes: Any) -> None:
    out = run(
        new(UpstreamApi.MESSAGES, ClientApi.RESPONSES), [upstream_bytes("anthropic", "thinking")]
    )
    output = sse_events(out)[-1][1]["response"]["output"]
    assert output[0]["type"] == "reasoning"
    assert output[0]["summary"] == [{"type": "summary_text", "text": "Let me think about 2+2."}]
    assert output[0]["encrypted_content"] == "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDeSYpFKc0"
    assert output[1]["content"][0]["text"] == "The answer is 4."


def test_model_falls_back_to_the_configured_one(upstream_bytes: Any) -> None:
    out = run(
        new(UpstreamApi.BEDROCK_CONVERSE, ClientApi.MESSAGES), [upstream_bytes("bedrock", "text")]
    )
    message = sse_events(out)[0][1]["message"]
    assert message["model"] == "test-model"
    assert message["id"] == "msg_fx"


def test_same_api_giant_event_is_forwarded_without_holding_it_whole() -> None:
    translator = new(UpstreamApi.CHAT, ClientApi.CHAT)
    head = b'data: {"choices":[{"index":0,"delta":{"content":"'
    piece = b"x" * (1 << 19)
    out = translator.feed(head) + translator.feed(piece) + translator.feed(piece + piece)
    assert out == head + piece * 3
    tail = b'"}}]}\n\ndata: [DONE]\n\n'
    assert translator.feed(tail) == tail
    cut = new(UpstreamApi.CHAT, ClientApi.CHAT)
    cut.feed(head + piece * 3)
    assert cut.fail("reset").startswith(b"\n\ndata: ")
