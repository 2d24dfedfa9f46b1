"""Gemini generateContent / streamGenerateContent, checked against the documented JSON shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hermesllm.usage import Usage
from plano_testkit import FakeUpstream, Reply, ToolCall
from plano_testkit.raw_client import RawResponse, post

MODEL = "gemini-2.5-flash"
BODY = {"contents": [{"role": "user", "parts": [{"text": "respond with exactly: Gemini here"}]}]}
CALL = ToolCall(name="get_weather", arguments={"city": "Oslo"})


def generate(
    fake: FakeUpstream, reply: Reply | None = None, *, stream: bool = False
) -> RawResponse:
    fake.reset()
    if reply is not None:
        fake.enqueue(reply)
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return post(f"{fake.url}/v1beta/models/{MODEL}:{method}", BODY, {"x-goog-api-key": "g"})


def sse_chunks(body: bytes) -> list[dict[str, Any]]:
    assert body.endswith(b"\r\n\r\n")
    events = body.split(b"\r\n\r\n")[:-1]
    assert all(event.startswith(b"data: ") for event in events)
    return [json.loads(event[len(b"data: ") :]) for event in events]


def test_generate_content_documented_shape(fake: FakeUpstream) -> None:
    usage = Usage(input_tokens=10, output_tokens=7, reasoning_tokens=3, cached_input_tokens=2)
    response = generate(
        fake, Reply(thinking="Plan.", text="Calling.", tool_calls=[CALL], usage=usage)
    )
    assert response.status == 200
    body = response.json()
    assert set(body) == {"candidates", "usageMetadata", "modelVersion", "responseId"}
    assert body["modelVersion"] == MODEL
    assert isinstance(body["responseId"], str) and body["responseId"]
    (candidate,) = body["candidates"]
    assert candidate["index"] == 0
    assert candidate["finishReason"] == "STOP"
    assert candidate["content"]["role"] == "model"
    assert candidate["content"]["parts"] == [
        {"text": "Plan.", "thought": True},
        {"text": "Calling."},
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Oslo"}},
            "thoughtSignature": candidate["content"]["parts"][2]["thoughtSignature"],
        },
    ]
    assert isinstance(candidate["content"]["parts"][2]["thoughtSignature"], str)
    assert body["usageMetadata"] == {
        "promptTokenCount": 10,
        "candidatesTokenCount": 4,
        "thoughtsTokenCount": 3,
        "cachedContentTokenCount": 2,
        "totalTokenCount": 17,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}],
        "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 2}],
    }


def test_echo_from_contents_and_request_record(fake: FakeUpstream) -> None:
    body = generate(fake).json()
    assert body["candidates"][0]["content"]["parts"] == [{"text": "Gemini here"}]
    request = fake.last_request
    assert request.model == MODEL
    assert request.headers["x-goog-api-key"] == "g"
    assert request.stream is False


@pytest.mark.parametrize(
    ("finish", "reason"), [("stop", "STOP"), ("length", "MAX_TOKENS"), ("content_filter", "SAFETY")]
)
def test_finish_reasons(fake: FakeUpstream, finish: str, reason: str) -> None:
    body = generate(fake, Reply(text="x", finish_reason=finish)).json()
    assert body["candidates"][0]["finishReason"] == reason


def test_stream_sse_chunks(fake: FakeUpstream) -> None:
    response = generate(
        fake, Reply(thinking="Hmm ok.", text="Three word answer", tool_calls=[CALL]), stream=True
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = sse_chunks(response.body)
    parts = [part for chunk in chunks for part in chunk["candidates"][0]["content"]["parts"]]
    thoughts = "".join(p["text"] for p in parts if p.get("thought"))
    text = "".join(p["text"] for p in parts if "text" in p and not p.get("thought"))
    assert thoughts == "Hmm ok."
    assert text == "Three word answer"
    calls = [p for p in parts if "functionCall" in p]
    assert [p["functionCall"] for p in calls] == [{"name": "get_weather", "args": {"city": "Oslo"}}]
    assert calls[0]["thoughtSignature"]
    assert [("finishReason" in c["candidates"][0]) for c in chunks] == [False] * (
        len(chunks) - 1
    ) + [True]
    for chunk in chunks:
        assert set(chunk) == {"candidates", "usageMetadata", "modelVersion", "responseId"}
        assert chunk["candidates"][0]["content"]["role"] == "model"
        assert set(chunk["usageMetadata"]) >= {
            "promptTokenCount",
            "promptTokensDetails",
            "totalTokenCount",
        }
    # Only the last chunk knows the candidate tokens; earlier ones count the prompt (and
    # thoughts) so far.
    assert ["candidatesTokenCount" in c["usageMetadata"] for c in chunks] == [False] * (
        len(chunks) - 1
    ) + [True]
    assert len({c["responseId"] for c in chunks}) == 1
    assert fake.last_request.stream is True
    assert fake.last_request.query == {"alt": "sse"}


@pytest.mark.parametrize(
    ("status", "google_status"),
    [
        (400, "INVALID_ARGUMENT"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
    ],
)
def test_error_shape(fake: FakeUpstream, status: int, google_status: str) -> None:
    response = generate(fake, Reply.error(status, "quota gone"))
    assert response.status == status
    error = response.json()["error"]
    details = error.pop("details", None)
    assert error == {"code": status, "message": "quota gone", "status": google_status}
    if status == 429:
        assert details[-1] == {
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": "17s",
        }
    else:
        assert details is None


def test_mid_stream_error_chunk(fake: FakeUpstream) -> None:
    chunks = sse_chunks(
        generate(
            fake, Reply(text="a b c", error_after_events=2, error_message="boom"), stream=True
        ).body
    )
    assert len(chunks) == 3
    assert chunks[-1] == {"error": {"code": 500, "message": "boom", "status": "INTERNAL"}}


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_rechunked_stream_is_byte_identical(fake: FakeUpstream, chunk_size: int) -> None:
    whole = generate(fake, Reply(text="same chunks ✓"), stream=True).body
    pieces = generate(fake, Reply(text="same chunks ✓", chunk_size=chunk_size), stream=True).body
    assert pieces == whole


def test_stream_without_alt_sse_is_a_json_array(fake: FakeUpstream) -> None:
    fake.reset()
    fake.enqueue(Reply(text="array of chunks"))
    response = post(f"{fake.url}/v1beta/models/{MODEL}:streamGenerateContent", BODY)
    assert response.headers["content-type"] == "application/json"
    chunks = response.json()
    assert isinstance(chunks, list) and len(chunks) == 3
    text = "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
    assert text == "array of chunks"
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
