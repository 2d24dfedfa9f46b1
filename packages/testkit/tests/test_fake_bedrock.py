"""Bedrock Converse JSON and ConverseStream frames, checked against the documented shapes and
against real recorded streams (decoded with the test kit's own frame decoder)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hermesllm.usage import Usage
from plano_testkit import FakeUpstream, Reply, ToolCall
from plano_testkit.bedrock_recordings import RECORDING_NAMES, aws_recording
from plano_testkit.eventstream import DecodedFrame, FrameError, decode_frames, encode_frame
from plano_testkit.raw_client import RawResponse, post

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
BODY = {"messages": [{"role": "user", "content": [{"text": "respond with exactly: From Bedrock"}]}]}
TOOL = ToolCall(name="run_python_code", arguments={"code": "print(1)"}, id="tooluse_abc")
EVENT_HEADERS = [":event-type", ":content-type", ":message-type"]


def converse(
    fake: FakeUpstream, reply: Reply | None = None, *, stream: bool = False
) -> RawResponse:
    fake.reset()
    if reply is not None:
        fake.enqueue(reply)
    operation = "converse-stream" if stream else "converse"
    return post(f"{fake.url}/model/{MODEL}/{operation}", BODY)


def events(frames: list[DecodedFrame]) -> list[tuple[str, dict[str, Any]]]:
    decoded = []
    for frame in frames:
        payload = json.loads(frame.payload)
        payload.pop("p", None)
        decoded.append((str(frame.headers[":event-type"]), payload))
    return decoded


def shape(value: Any) -> Any:
    """The key structure of a JSON value, with leaves replaced by their type name."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def test_converse_json_documented_shape(fake: FakeUpstream) -> None:
    usage = Usage(input_tokens=12, output_tokens=8, cached_input_tokens=4, cache_creation_tokens=2)
    reply = Reply(thinking="Consider.", text="Done.", tool_calls=[TOOL], usage=usage)
    response = converse(fake, reply)
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"metrics", "output", "stopReason", "usage"}
    assert body["stopReason"] == "tool_use"
    assert body["metrics"] == {"latencyMs": body["metrics"]["latencyMs"]}
    # Bedrock's inputTokens leave out cache reads and writes; totalTokens counts everything.
    assert body["usage"] == {
        "inputTokens": 6,
        "outputTokens": 8,
        "totalTokens": 20,
        "cacheReadInputTokens": 4,
        "cacheWriteInputTokens": 2,
    }
    message = body["output"]["message"]
    assert message["role"] == "assistant"
    reasoning, text, tool_use = message["content"]
    assert reasoning["reasoningContent"]["reasoningText"]["text"] == "Consider."
    assert reasoning["reasoningContent"]["reasoningText"]["signature"]
    assert text == {"text": "Done."}
    assert tool_use == {
        "toolUse": {
            "toolUseId": "tooluse_abc",
            "name": "run_python_code",
            "input": {"code": "print(1)"},
        }
    }


def test_converse_echo_and_model_from_path(fake: FakeUpstream) -> None:
    body = converse(fake).json()
    assert body["output"]["message"]["content"] == [{"text": "From Bedrock"}]
    assert body["stopReason"] == "end_turn"
    assert fake.last_request.model == MODEL
    assert fake.last_request.stream is False


def test_url_encoded_inference_profile_arn_in_path(fake: FakeUpstream) -> None:
    fake.reset()
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude"
    encoded = arn.replace(":", "%3A").replace("/", "%2F")
    response = post(f"{fake.url}/model/{encoded}/converse", BODY)
    assert response.status == 200
    assert fake.last_request.model == arn


@pytest.mark.parametrize(
    ("finish", "stop_reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "content_filtered"),
    ],
)
def test_stop_reasons(fake: FakeUpstream, finish: str, stop_reason: str) -> None:
    assert converse(fake, Reply(text="x", finish_reason=finish)).json()["stopReason"] == stop_reason


def test_stream_frames_and_sequence(fake: FakeUpstream) -> None:
    response = converse(
        fake, Reply(thinking="Hmm.", text="Two words", tool_calls=[TOOL]), stream=True
    )
    assert response.status == 200
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    frames = decode_frames(response.body)
    assert all(list(frame.headers) == EVENT_HEADERS for frame in frames)
    assert all(frame.headers[":message-type"] == "event" for frame in frames)
    assert all(frame.headers[":content-type"] == "application/json" for frame in frames)
    decoded = events(frames)
    kinds = [kind for kind, _ in decoded]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    assert decoded[0][1] == {"role": "assistant"}
    deltas = [
        (p["contentBlockIndex"], next(iter(p["delta"])))
        for k, p in decoded
        if k == "contentBlockDelta"
    ]
    assert sorted(set(deltas)) == [(0, "reasoningContent"), (1, "text"), (2, "toolUse")]
    reasoning = [
        p["delta"]["reasoningContent"]
        for k, p in decoded
        if k == "contentBlockDelta" and p["contentBlockIndex"] == 0
    ]
    assert "".join(r.get("text", "") for r in reasoning) == "Hmm."
    assert reasoning[-1] == {"signature": reasoning[-1]["signature"]}
    text = "".join(
        p["delta"]["text"]
        for k, p in decoded
        if k == "contentBlockDelta" and p["contentBlockIndex"] == 1
    )
    assert text == "Two words"
    starts = [p for k, p in decoded if k == "contentBlockStart"]
    assert starts == [
        {
            "contentBlockIndex": 2,
            "start": {"toolUse": {"name": "run_python_code", "toolUseId": "tooluse_abc"}},
        }
    ]
    arguments = "".join(
        p["delta"]["toolUse"]["input"]
        for k, p in decoded
        if k == "contentBlockDelta" and p["contentBlockIndex"] == 2
    )
    assert json.loads(arguments) == {"code": "print(1)"}
    assert [p["contentBlockIndex"] for k, p in decoded if k == "contentBlockStop"] == [0, 1, 2]
    assert decoded[-2][1] == {"stopReason": "tool_use"}
    metadata = decoded[-1][1]
    assert set(metadata) == {"metrics", "usage"}
    assert (
        metadata["usage"]["totalTokens"]
        == metadata["usage"]["inputTokens"] + metadata["usage"]["outputTokens"]
    )
    assert all("p" in json.loads(frame.payload) for frame in frames)


@pytest.mark.parametrize("recording", RECORDING_NAMES)
def test_fake_frames_match_real_recordings(fake: FakeUpstream, recording: str) -> None:
    real = decode_frames(aws_recording(recording))
    assert all(list(frame.headers) == EVENT_HEADERS for frame in real)
    fake_frames = decode_frames(
        converse(fake, Reply(text="Some text", tool_calls=[TOOL]), stream=True).body
    )
    fake_shapes = {
        (kind, json.dumps(shape(body), sort_keys=True)) for kind, body in events(fake_frames)
    }
    real_shapes = {(kind, json.dumps(shape(body), sort_keys=True)) for kind, body in events(real)}
    assert real_shapes <= fake_shapes
    real_kinds = [kind for kind, _ in events(real)]
    fake_kinds = [kind for kind, _ in events(fake_frames)]
    assert real_kinds[0] == fake_kinds[0] == "messageStart"
    assert real_kinds[-2:] == fake_kinds[-2:] == ["messageStop", "metadata"]


def test_decoder_rejects_corruption() -> None:
    frame = encode_frame({":event-type": "messageStart"}, b'{"role":"assistant"}')
    assert decode_frames(frame)[0].payload == b'{"role":"assistant"}'
    with pytest.raises(FrameError, match="prelude CRC"):
        decode_frames(frame[:8] + bytes([frame[8] ^ 1]) + frame[9:])
    with pytest.raises(FrameError, match="message CRC"):
        decode_frames(frame[:-5] + bytes([frame[-5] ^ 1]) + frame[-4:])
    with pytest.raises(FrameError, match="truncated"):
        decode_frames(frame[:10])


def test_mid_stream_exception_frame(fake: FakeUpstream) -> None:
    reply = Reply(
        text="a b c",
        error_after_events=2,
        error_message="Too many tokens",
        error_type="throttlingException",
    )
    frames = decode_frames(converse(fake, reply, stream=True).body)
    assert len(frames) == 3
    last = frames[-1]
    assert last.headers == {
        ":exception-type": "throttlingException",
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    assert json.loads(last.payload) == {"message": "Too many tokens"}


def test_default_mid_stream_exception_type(fake: FakeUpstream) -> None:
    frames = decode_frames(converse(fake, Reply(error_after_events=1), stream=True).body)
    assert frames[-1].headers[":exception-type"] == "modelStreamErrorException"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "ValidationException"),
        (403, "AccessDeniedException"),
        (429, "ThrottlingException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ],
)
def test_http_error_shape(fake: FakeUpstream, status: int, error_type: str) -> None:
    response = converse(fake, Reply.error(status, "bedrock refused"))
    assert response.status == status
    assert response.json() == {"message": "bedrock refused"}
    assert response.headers["x-amzn-errortype"].split(":")[0] == error_type
    assert "x-amzn-requestid" in response.headers


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_rechunked_stream_is_byte_identical(fake: FakeUpstream, chunk_size: int) -> None:
    whole = converse(fake, Reply(text="same bytes", tool_calls=[TOOL]), stream=True).body
    pieces = converse(
        fake, Reply(text="same bytes", tool_calls=[TOOL], chunk_size=chunk_size), stream=True
    )
    assert pieces.body == whole
    assert fake.last_request.writes_sent == -(-len(whole) // chunk_size)


def test_cut_stream_leaves_a_partial_frame(fake: FakeUpstream) -> None:
    fake.reset()
    fake.enqueue(Reply(text="a b c d", cut_after_bytes=150))
    with pytest.raises(Exception, match=r"IncompleteRead|incomplete|Connection"):
        post(f"{fake.url}/model/{MODEL}/converse-stream", BODY)
