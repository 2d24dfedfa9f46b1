"""Fixtures shared by the hermesllm tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hermesllm.eventstream import encode_frame

STREAMS = Path(__file__).resolve().parent / "streams"


def read_upstream_stream(upstream: str, scenario: str) -> bytes:
    """A recorded-shape upstream stream from tests/streams (`{upstream}_{scenario}.sse`);
    Bedrock ones are JSON lines encoded here into event-stream frames."""
    if upstream != "bedrock":
        return (STREAMS / f"{upstream}_{scenario}.sse").read_bytes()
    frames = []
    for line in (STREAMS / f"bedrock_{scenario}.jsonl").read_text().splitlines():
        message_type, kind, payload = json.loads(line)
        type_header = ":event-type" if message_type == "event" else ":exception-type"
        headers = {
            ":message-type": message_type,
            type_header: kind,
            ":content-type": "application/json",
        }
        frames.append(encode_frame(headers, json.dumps(payload).encode()))
    return b"".join(frames)


@pytest.fixture(scope="session")
def upstream_bytes() -> Callable[[str, str], bytes]:
    """`read_upstream_stream`, for test modules (they cannot import this file)."""
    return read_upstream_stream
