"""Benchmark: Anthropic Messages stream → OpenAI chat completion chunks.

Translates one recorded-shape Anthropic stream (thinking, text, two tool calls with argument
deltas, usage) with hermesllm's stream translator and, in the same run, with LiteLLM's own
streaming transformation (`litellm.llms.anthropic.chat.handler.ModelResponseIterator`, run in
LiteLLM's separate venv through a subprocess), and prints events/s, MB/s and the ratio.

LiteLLM is timed two ways: its iterator alone (lines already split, chunks left as Python
objects: the most favorable case for it) and its iterator plus serializing each chunk to the
`data: {json}` wire form the client receives. hermesllm is timed from raw network bytes (64 KiB
reads, SSE parsing included) to client wire bytes; its same-API pass-through (bytes forwarded,
usage and first token extracted) is shown for reference.

Run:  uv run python bench/bench_stream.py [--events 4000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.streaming import new_stream_translator

HERE = Path(__file__).resolve().parent

LITELLM_SIDE = r"""
import json, sys, time
from litellm.llms.anthropic.chat.handler import ModelResponseIterator

data = open(sys.argv[1], "rb").read().decode()
repeat = int(sys.argv[2])
lines = [line for line in data.split("\n") if line]

def parse_only():
    for _ in ModelResponseIterator(iter(lines), sync_stream=True):
        pass

def parse_and_serialize():
    out = []
    for chunk in ModelResponseIterator(iter(lines), sync_stream=True):
        if isinstance(chunk, dict):  # its placeholder for `event:` lines; never sent
            continue
        out.append("data: " + chunk.model_dump_json(exclude_none=True) + "\n\n")
    out.append("data: [DONE]\n\n")
    return "".join(out)

def best(fn):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)

timings = {"parse_only": best(parse_only), "parse_and_serialize": best(parse_and_serialize)}
print(json.dumps(timings))
"""


def _event(name: str, body: dict[str, object]) -> str:
    return f"event: {name}\ndata: {json.dumps(body, separators=(',', ':'))}\n\n"


def build_stream(deltas: int) -> tuple[bytes, int]:
    """An Anthropic stream with about `deltas` content deltas; returns (bytes, event count)."""
    events = [
        _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_bench",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-5",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 1200, "output_tokens": 1},
                },
            },
        )
    ]

    def block(
        index: int, start: dict[str, object], delta_type: str, key: str, parts: list[str]
    ) -> None:
        events.append(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        )
        for part in parts:
            events.append(
                _event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": delta_type, key: part},
                    },
                )
            )
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))

    thinking = deltas // 10
    tools = deltas // 20
    text = deltas - thinking - 2 * tools
    words = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."]
    block(
        0,
        {"type": "thinking", "thinking": "", "signature": ""},
        "thinking_delta",
        "thinking",
        [words[i % 10] + " hmm" for i in range(thinking)],
    )
    block(
        1, {"type": "text", "text": ""}, "text_delta", "text", [words[i % 10] for i in range(text)]
    )
    for index, name in ((2, "get_weather"), (3, "get_time")):
        fragments = ['{"items": ['] + [f'"{i}", ' for i in range(tools - 2)] + ['"end"]}']
        block(
            index,
            {"type": "tool_use", "id": f"toolu_{index}", "name": name, "input": {}},
            "input_json_delta",
            "partial_json",
            fragments,
        )
    events.append(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": deltas},
            },
        )
    )
    events.append(_event("message_stop", {"type": "message_stop"}))
    return "".join(events).encode(), len(events)


def hermes_seconds(data: bytes, repeat: int, client: ClientApi) -> tuple[float, int]:
    read = 65536
    chunks = [data[i : i + read] for i in range(0, len(data), read)]

    def once() -> int:
        translator = new_stream_translator(
            UpstreamApi.MESSAGES, client, model="m", include_usage=True
        )
        size = 0
        for chunk in chunks:
            size += len(translator.feed(chunk))
        size += len(translator.finish())
        return size

    out_size = once()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return min(times), out_size


def litellm_seconds(data: bytes, repeat: int) -> dict[str, float] | None:
    venv = subprocess.run(
        ["bash", str(HERE / "litellm_venv.sh")], capture_output=True, text=True, check=False
    )
    python = venv.stdout.strip()
    if venv.returncode != 0 or not python:
        print(f"LiteLLM venv unavailable: {venv.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    with tempfile.NamedTemporaryFile(suffix=".sse") as stream_file:
        stream_file.write(data)
        stream_file.flush()
        result = subprocess.run(
            [python, "-c", LITELLM_SIDE, stream_file.name, str(repeat)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        )
    if result.returncode != 0:
        print(f"LiteLLM run failed: {result.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000, help="content deltas in the stream")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs (best is kept)")
    args = parser.parse_args()

    data, events = build_stream(args.events)
    megabytes = len(data) / 1e6
    ours, out_size = hermes_seconds(data, args.repeat, ClientApi.CHAT)
    passthrough, _ = hermes_seconds(data, args.repeat, ClientApi.MESSAGES)
    print(f"stream: {events} events, {len(data)} bytes in, {out_size} bytes out (hermesllm)")
    print(f"{'implementation':<40} {'seconds':>9} {'events/s':>12} {'MB/s':>8}")

    def row(name: str, seconds: float) -> None:
        print(f"{name:<40} {seconds:>9.4f} {events / seconds:>12,.0f} {megabytes / seconds:>8.2f}")

    row("hermesllm (bytes → chat wire bytes)", ours)
    row("hermesllm same-API pass-through + usage", passthrough)
    theirs = litellm_seconds(data, args.repeat)
    if theirs is None:
        return
    row("litellm (iterator only)", theirs["parse_only"])
    row("litellm (iterator + serialize)", theirs["parse_and_serialize"])
    print(f"ratio vs litellm iterator only:        {theirs['parse_only'] / ours:.1f}x")
    print(f"ratio vs litellm iterator + serialize: {theirs['parse_and_serialize'] / ours:.1f}x")


if __name__ == "__main__":
    main()
