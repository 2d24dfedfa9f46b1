"""Throughput of the stream decoders: SSE parsing and AWS event-stream frame decoding.

Usage: uv run python bench/stream_decoding.py [--seconds 1.0]

Prints MB/s and events/s (best run) for several network chunk sizes. SSE input is a synthetic
Anthropic-shaped stream (message_start, ~2000 text deltas, message_delta, message_stop);
event-stream input is the real Bedrock recording in ../shared/fixtures/bedrock.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from hermesllm.eventstream import EventStreamDecoder
from hermesllm.sse import SseParser, encode_event

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "bedrock"


def anthropic_stream(deltas: int = 2000) -> bytes:
    parts = [
        encode_event(
            json.dumps(
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_1",
                        "type": "message",
                        "role": "assistant",
                        "model": "claude-sonnet-4",
                        "content": [],
                        "usage": {"input_tokens": 25, "output_tokens": 1},
                    },
                }
            ),
            "message_start",
        )
    ]
    for i in range(deltas):
        delta = {"type": "text_delta", "text": f" word{i} é"}
        body = {"type": "content_block_delta", "index": 0, "delta": delta}
        parts.append(encode_event(json.dumps(body), "content_block_delta"))
    parts.append(
        encode_event(
            json.dumps(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": deltas},
                }
            ),
            "message_delta",
        )
    )
    parts.append(encode_event('{"type":"message_stop"}', "message_stop"))
    return b"".join(parts)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def measure(run: Callable[[], int], nbytes: int, seconds: float) -> tuple[float, float]:
    """Best of repeated runs for about `seconds` (robust on a shared machine): MB/s, events/s."""
    best = float("inf")
    events = 0
    deadline = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        events = run()
        best = min(best, time.perf_counter() - start)
        if time.perf_counter() >= deadline:
            return nbytes / best / 1e6, events / best


def bench_sse(seconds: float) -> None:
    data = anthropic_stream()
    per_event = [event + b"\n\n" for event in data.split(b"\n\n")[:-1]]
    cases = [("one event per chunk", per_event)]
    cases += [(f"{size}-byte chunks", chunked(data, size)) for size in (64, 1024, 16384)]
    cases.append(("whole stream", [data]))
    print(f"SSE parser: {len(data)} bytes, {len(per_event)} events")
    for label, chunks in cases:

        def run(chunks: list[bytes] = chunks) -> int:
            parser = SseParser()
            count = 0
            for chunk in chunks:
                count += len(parser.feed(chunk))
            return count + len(parser.close())

        mbps, eps = measure(run, len(data), seconds)
        print(f"  {label:>22}: {mbps:8.1f} MB/s  {eps:12,.0f} events/s")


def bench_eventstream(seconds: float) -> None:
    path = FIXTURES / "converse_stream_tools.bin"
    if not path.exists():
        print(f"event-stream: {path} is absent, skipped")
        return
    data = path.read_bytes()
    print(f"Event-stream decoder: {path.name}, {len(data)} bytes")
    for size in (64, 1024, 16384, len(data)):
        chunks = chunked(data, size)

        def run(chunks: list[bytes] = chunks) -> int:
            decoder = EventStreamDecoder()
            return sum(len(decoder.feed(chunk)) for chunk in chunks)

        mbps, fps = measure(run, len(data), seconds)
        label = "whole stream" if size == len(data) else f"{size}-byte chunks"
        print(f"  {label:>22}: {mbps:8.1f} MB/s  {fps:12,.0f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    bench_sse(args.seconds)
    bench_eventstream(args.seconds)


if __name__ == "__main__":
    main()
