"""Translation throughput: hermesllm vs LiteLLM on the same Chat → Anthropic round trip.

One operation = translate a ~2,000-token Chat Completions request with tools into an Anthropic
Messages request (bytes in, bytes out) and translate the Anthropic response back into a Chat
Completions response (bytes in, bytes out). LiteLLM runs its own transformation functions
(`AnthropicConfig.map_openai_params` + `transform_request`, and `transform_response`) in its
separate venv (`bench/litellm_venv.sh`), in a subprocess of this same run.

Run: uv run python bench/bench_translate.py [--seconds 2]

The first hermesllm line is the full gateway path (`prepare_upstream_request` with prompt
caching on: it also applies provider normalization and Anthropic prompt-cache breakpoints);
the second is the translation alone, the same work the LiteLLM functions do.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from hermesllm.apis import ClientApi, UpstreamApi
from hermesllm.cache_control import DEFAULT_MIN_PREFIX_TOKENS
from hermesllm.provider_ids import ProviderId
from hermesllm.translate import (
    parse_conversation,
    prepare_upstream_request,
    render_conversation,
    translate_response,
)
from plano_common.tokenizer import count_tokens

HERE = Path(__file__).resolve().parent
MODEL = "claude-sonnet-4-5"

_LITELLM_RUNNER = r"""
import json, sys, time
import httpx
import litellm
from litellm.llms.anthropic.chat.transformation import AnthropicConfig
from litellm.types.utils import ModelResponse

request_bytes = open(sys.argv[1], "rb").read()
response_bytes = open(sys.argv[2], "rb").read()
seconds = float(sys.argv[3])
model = sys.argv[4]
config = AnthropicConfig()


class QuietLogging:
    def post_call(self, *args, **kwargs):
        pass


logging_obj = QuietLogging()
http_request = httpx.Request("POST", "https://api.anthropic.com/v1/messages")


def one_op():
    request = json.loads(request_bytes)
    messages = request.pop("messages")
    request.pop("model")
    optional = config.map_openai_params(request, {}, model, drop_params=False)
    litellm_params = {}
    data = config.transform_request(model, messages, optional, litellm_params, {})
    upstream_body = json.dumps(data).encode()
    raw = httpx.Response(200, content=response_bytes, request=http_request)
    result = config.transform_response(
        model, raw, ModelResponse(), logging_obj, data, messages, optional, litellm_params, None
    )
    return upstream_body, result.model_dump_json().encode()


def timed_run(seconds):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        one_op()
        count += 1
    return count / (time.perf_counter() - start)


for _ in range(20):
    one_op()
from importlib.metadata import version
print(json.dumps({"version": version("litellm")}), flush=True)
for line in sys.stdin:
    print(json.dumps({"ops_per_second": timed_run(seconds)}), flush=True)
"""


def _tool(name: str, description: str, properties: dict[str, object]) -> dict[str, object]:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": schema},
    }


def chat_request() -> dict[str, object]:
    """A typical agent request: system prompt, ten turns, a tool round trip, four tools."""
    paragraph = (
        "The quarterly report covers revenue, churn, and support load across regions. "
        "Revenue grew in EMEA while APAC stayed flat; churn dropped after the onboarding "
        "changes shipped in March, and support tickets moved from billing to integrations. "
    )
    messages: list[dict[str, object]] = [
        {
            "role": "system",
            "content": "You are a careful analyst. Cite numbers, keep answers short, and call "
            "tools when data is missing. " + paragraph * 4,
        }
    ]
    for turn in range(5):
        messages.append({"role": "user", "content": f"Question {turn}: " + paragraph * 3})
        messages.append({"role": "assistant", "content": f"Answer {turn}: " + paragraph * 2})
    messages.append(
        {"role": "user", "content": "Fetch the latest churn figures for EMEA and APAC."}
    )
    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{region}",
                    "type": "function",
                    "function": {
                        "name": "query_metrics",
                        "arguments": json.dumps({"metric": "churn", "region": region}),
                    },
                }
                for region in ("emea", "apac")
            ],
        }
    )
    for region, value in (("emea", "2.1%"), ("apac", "3.4%")):
        messages.append(
            {
                "role": "tool",
                "tool_call_id": f"call_{region}",
                "content": json.dumps({"churn": value}),
            }
        )
    tools = [
        _tool(
            "query_metrics",
            "Query a business metric.",
            {"metric": {"type": "string"}, "region": {"type": "string"}},
        ),
        _tool(
            "search_docs",
            "Search internal documents.",
            {"query": {"type": "string"}, "limit": {"type": "integer"}},
        ),
        _tool(
            "create_ticket",
            "Open a support ticket.",
            {"title": {"type": "string"}, "body": {"type": "string"}},
        ),
        _tool(
            "send_email",
            "Send an email.",
            {"to": {"type": "string"}, "subject": {"type": "string"}, "body": {"type": "string"}},
        ),
    ]
    return {
        "model": "gpt-4o",
        "messages": messages,
        "tools": tools,
        "tool_choice": "auto",
        "max_tokens": 1024,
        "temperature": 0.2,
    }


def anthropic_response() -> dict[str, object]:
    """The Anthropic answer: text plus a tool call, with cache usage."""
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {
                "type": "text",
                "text": "EMEA churn is 2.1% and APAC churn is 3.4%. I'll open a ticket.",
            },
            {
                "type": "tool_use",
                "id": "toolu_01A09q90qw90lq917835lq9",
                "name": "create_ticket",
                "input": {"title": "APAC churn", "body": "APAC churn is above target at 3.4%."},
            },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 1900,
            "output_tokens": 80,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        },
    }


def timed_run(op: Callable[[], object], seconds: float) -> float:
    """Operations per second over one run of `seconds`."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        op()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    """Measure both implementations in alternating rounds and print ops/s and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each timed run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; best is kept")
    args = parser.parse_args()
    request_bytes = json.dumps(chat_request()).encode()
    response_bytes = json.dumps(anthropic_response()).encode()
    tokens = count_tokens("gpt-4o", request_bytes.decode())

    def ours() -> tuple[bytes, bytes]:
        upstream = prepare_upstream_request(
            request_bytes,
            ClientApi.CHAT,
            UpstreamApi.MESSAGES,
            provider=ProviderId.ANTHROPIC,
            model=MODEL,
            cache_min_prefix_tokens=DEFAULT_MIN_PREFIX_TOKENS,
        )
        client = translate_response(
            response_bytes, UpstreamApi.MESSAGES, ClientApi.CHAT, model=MODEL
        )
        return upstream, client

    def ours_translation_only() -> tuple[bytes, bytes]:
        conversation = parse_conversation(request_bytes, ClientApi.CHAT, MODEL)
        upstream = msgspec.json.encode(render_conversation(conversation, UpstreamApi.MESSAGES))
        client = translate_response(
            response_bytes, UpstreamApi.MESSAGES, ClientApi.CHAT, model=MODEL
        )
        return upstream, client

    python = subprocess.run(
        ["bash", str(HERE / "litellm_venv.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        request_path, response_path = Path(tmp) / "request.json", Path(tmp) / "response.json"
        request_path.write_bytes(request_bytes)
        response_path.write_bytes(response_bytes)
        args_list = [str(request_path), str(response_path), str(args.seconds), MODEL]
        with subprocess.Popen(
            [python, "-c", _LITELLM_RUNNER, *args_list],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        ) as runner:
            assert runner.stdin is not None and runner.stdout is not None
            version = json.loads(runner.stdout.readline())["version"]
            for _ in range(50):
                ours()
                ours_translation_only()
            best = {"full": 0.0, "translation": 0.0, "litellm": 0.0}
            for _ in range(args.rounds):
                best["full"] = max(best["full"], timed_run(ours, args.seconds))
                best["translation"] = max(
                    best["translation"], timed_run(ours_translation_only, args.seconds)
                )
                runner.stdin.write("run\n")
                runner.stdin.flush()
                measured = json.loads(runner.stdout.readline())["ops_per_second"]
                best["litellm"] = max(best["litellm"], measured)
            runner.stdin.close()
    reference = best["litellm"]
    print(
        f"payload: {len(request_bytes)} request bytes (~{tokens} tokens), "
        f"{len(response_bytes)} response bytes; best of {args.rounds} alternating rounds"
    )
    for label, key, note in (
        ("hermesllm full", "full", "prepare_upstream_request: + normalization, cache breakpoints"),
        ("hermesllm translation", "translation", "parse + render + encode, like LiteLLM's"),
        (f"litellm {version}", "litellm", "map_openai_params + transform_request/response"),
    ):
        ops = best[key]
        print(f"{label:22s} {ops:8.0f} ops/s {ops / reference:5.1f}x  ({note})")


if __name__ == "__main__":
    sys.exit(main())
