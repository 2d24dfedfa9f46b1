"""Metric labels stay bounded however many distinct wildcard model names clients send."""

from __future__ import annotations

import random
import string
import time
from http.client import HTTPConnection
from typing import Any

import openai
import pytest

from llm_gateway.record import RequestRecord
from plano_common.metric_labels import MAX_LABEL_LENGTH, ModelLabels
from plano_testkit.fake_upstream import FakeUpstream

MESSAGES: Any = [{"role": "user", "content": "hi"}]
WILDCARD_CAP = 5


@pytest.fixture(scope="module")
def gateway(fake_upstream: FakeUpstream, start_gateway: Any, gateway_config: Any) -> Any:
    config = gateway_config(
        fake_upstream.url,
        {"openai/gpt-4o-mini": "sk-openai-0123456789", "openai/*": "sk-wild-0123456789"},
        default="openai/gpt-4o-mini",
    )
    return start_gateway(config, {"PLANO_METRICS_WILDCARD_MODELS": str(WILDCARD_CAP)})


def scrape(port: int) -> bytes:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        return connection.getresponse().read()
    finally:
        connection.close()


def random_name(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=24))


def model_labels(exposition: bytes) -> set[str]:
    lines = exposition.decode().splitlines()
    found = {line.split('model="')[1].split('"')[0] for line in lines if 'model="' in line}
    return found


def test_wildcard_spray_through_the_gateway(gateway: Any) -> None:
    rng = random.Random(7)
    with gateway.openai_sdk() as sdk:
        for _ in range(3 * WILDCARD_CAP):
            sdk.chat.completions.create(model=f"openai/{random_name(rng)}", messages=MESSAGES)
        sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    time.sleep(0.05)
    labels = model_labels(scrape(gateway.port))
    assert "gpt-4o-mini" in labels
    assert "other" in labels
    assert len(labels - {"gpt-4o-mini", "other", "none"}) == WILDCARD_CAP


def test_ten_thousand_wildcard_models_keep_metrics_small(gateway: Any) -> None:
    rng = random.Random(11)
    before = len(scrape(gateway.port))

    async def spray(count: int) -> None:
        observer = gateway.app.observer
        for index in range(count):
            name = random_name(rng) + "x" * rng.randrange(0, 2000)
            record = RequestRecord(f"r{index}", "/v1/chat/completions", time.perf_counter())
            record.provider, record.model, record.status = f"openai/{name}", name, 200
            record.requested_model = record.provider
            record.upstream_started = record.started
            record.upstream_ended = record.ended = time.perf_counter()
            record.input_tokens = record.output_tokens = 3
            observer.request_finished(record)

    gateway.call(spray(10_000), timeout=60)
    after = scrape(gateway.port)
    assert len(after) < before + 64 * 1024, f"/metrics grew from {before} to {len(after)} bytes"
    assert all(len(label) <= MAX_LABEL_LENGTH for label in model_labels(after))
    gateway.call(spray(10_000), timeout=60)
    again = scrape(gateway.port)
    assert abs(len(again) - len(after)) < 1024, "another 10,000 names grew /metrics"


def test_model_labels_unit() -> None:
    labels = ModelLabels([("openai/gpt-4o", "gpt-4o")], wildcard_models=2, max_length=16)
    assert labels.labels("openai/gpt-4o", "gpt-4o") == ("openai/gpt-4o", "gpt-4o")
    assert labels.labels("openai/a", "a") == ("openai/a", "a")
    assert labels.labels("openai/" + "b" * 41, "b" * 41) == ("openai/" + "b" * 9, "b" * 16)
    assert labels.labels("openai/c", "c") == ("openai/*", "other")
    assert labels.labels("openai/a", "a") == ("openai/a", "a")
    assert labels.labels("groq/a", "a") == ("groq/a", "a")


def test_other_status_codes_do_not_multiply_series(gateway: Any) -> None:
    with gateway.openai_sdk() as sdk, pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="nobody/" + "z" * 100, messages=MESSAGES)
    assert "z" * 50 not in scrape(gateway.port).decode()
