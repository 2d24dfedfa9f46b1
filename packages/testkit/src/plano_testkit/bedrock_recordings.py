"""Bedrock ConverseStream byte streams: the AWS recordings in `../shared`, and our own.

Two streams carry the names of the AWS recordings in `shared/fixtures/bedrock`:

* `converse_stream_text.bin`: a Markdown answer ("# Binary Search in a Sorted Array ...") cut at
  `max_tokens`, usage 19 input / 500 output tokens;
* `converse_stream_tools.bin`: text, one `run_python_code` tool call whose JSON input arrives in
  small fragments, more text in a block that has no start event, stop reason `tool_use`,
  usage 742 input / 539 output tokens.

`own_recording` builds streams with those same properties, encoded with the test kit's own
event-stream encoder: headers in the order AWS sends them, a `p` padding field of varying length
in every payload, deltas of varying size. Tests run on both sources; the AWS one skips (or fails
under `PLANO_REQUIRE_FIXTURES=1`) where `../shared` is absent.
"""

from __future__ import annotations

import json
import string
from typing import Any

from plano_testkit.eventstream import encode_frame
from plano_testkit.shared_fixtures import require_shared

__all__ = ["RECORDING_NAMES", "SOURCES", "aws_recording", "own_recording", "recording"]

RECORDING_NAMES = ("converse_stream_text.bin", "converse_stream_tools.bin")
SOURCES = ("own", "aws")

_PADDING = string.ascii_letters + string.digits
_TEXT = """# Binary Search in a Sorted Array

Binary search finds a value in a sorted array by halving the search range at every step:

```python
def binary_search(items, target):
    low, high = 0, len(items) - 1
    while low <= high:
        middle = (low + high) // 2
        if items[middle] == target:
            return middle
        if items[middle] < target:
            low = middle + 1
        else:
            high = middle - 1
    return -1


if __name__ == "__main__":
    sorted_array = [1, 3, 5, 7, 9, 11]
    print("Sorted Array:", sorted_array)
    print("Index of 7:", binary_search(sorted_array, 7))
```

Each step compares the middle element with the target, so the loop runs at most log2(n)
times. The array must already be sorted: on unsorted input the"""
_CODE = """def factorial(n):
    if not isinstance(n, int):
        raise TypeError("n must be an integer")
    if n < 0:
        raise ValueError("n must not be negative")
    result = 1
    for value in range(2, n + 1):
        result *= value
    return result


print(factorial(5), factorial(10))
"""


def aws_recording(name: str) -> bytes:
    """The AWS recording `name` from `shared/fixtures/bedrock` (skips when absent)."""
    return require_shared(f"fixtures/bedrock/{name}").read_bytes()


def recording(source: str, name: str) -> bytes:
    """`name` from `source`: `"own"` (always available) or `"aws"` (needs `../shared`)."""
    if source == "aws":
        return aws_recording(name)
    if source == "own":
        return own_recording(name)
    raise ValueError(f"unknown recording source {source!r}")


def own_recording(name: str) -> bytes:
    """Our own stream with the properties of the AWS recording `name`."""
    if name == "converse_stream_text.bin":
        events = _text_events()
    elif name == "converse_stream_tools.bin":
        events = _tools_events()
    else:
        raise ValueError(f"no recording named {name!r}")
    return b"".join(_frame(index, kind, body) for index, (kind, body) in enumerate(events))


def _frame(index: int, kind: str, body: dict[str, Any]) -> bytes:
    padded = {**body, "p": _PADDING[: 3 + (index * 17) % 50]}
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    payload = json.dumps(padded, separators=(",", ":"), sort_keys=True)
    return encode_frame(headers, payload.encode())


def _pieces(text: str, first: int = 1) -> list[str]:
    """`text` cut into pieces of 1 to 23 characters (the first `first` characters long)."""
    pieces = [text[:first]]
    position, step = first, 0
    while position < len(text):
        size = 1 + (step * 7) % 23
        pieces.append(text[position : position + size])
        position += size
        step += 1
    return pieces


def _text_deltas(index: int, text: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}})
        for piece in _pieces(text)
    ]


def _ending(stop: str, input_tokens: int, output_tokens: int) -> list[tuple[str, dict[str, Any]]]:
    usage = {
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "serverToolUsage": {},
        "totalTokens": input_tokens + output_tokens,
    }
    return [
        ("messageStop", {"stopReason": stop}),
        ("metadata", {"metrics": {"latencyMs": 4321}, "usage": usage}),
    ]


def _text_events() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("messageStart", {"role": "assistant"}),
        *_text_deltas(0, _TEXT),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        *_ending("max_tokens", 19, 500),
    ]


def _tools_events() -> list[tuple[str, dict[str, Any]]]:
    tool = {"toolUse": {"name": "run_python_code", "toolUseId": "tooluse_own0recording0001"}}
    arguments = json.dumps({"code": _CODE})
    return [
        ("messageStart", {"role": "assistant"}),
        *_text_deltas(0, "<thinking>The user wants a factorial; I will run it.</thinking>"),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("contentBlockStart", {"contentBlockIndex": 1, "start": tool}),
        *[
            ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": part}}})
            for part in _pieces(arguments)
        ],
        ("contentBlockStop", {"contentBlockIndex": 1}),
        *_text_deltas(2, "\n\n<thinking>Waiting for the tool result.</thinking>"),
        ("contentBlockStop", {"contentBlockIndex": 2}),
        *_ending("tool_use", 742, 539),
    ]
