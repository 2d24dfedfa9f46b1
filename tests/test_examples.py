"""Every example config under examples/ starts the gateway, which answers /healthz and lists
the example's models (and aliases) on /v1/models through the OpenAI SDK."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import openai
import pytest

from plano_testkit.services import run_service

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Each example's `$VAR` references, with stand-in values.
ENVIRONMENT = {
    "OPENAI_API_KEY": "sk-example-openai",
    "ANTHROPIC_API_KEY": "sk-example-anthropic",
    "GEMINI_API_KEY": "example-gemini",
    "AZURE_OPENAI_API_KEY": "example-azure",
    "AZURE_OPENAI_ENDPOINT": "https://example-resource.openai.azure.com",
    "AWS_BEARER_TOKEN_BEDROCK": "example-bedrock-key",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "example-secret",
    "AWS_SESSION_TOKEN": None,
    "AWS_REGION": None,
    "AWS_DEFAULT_REGION": None,
}
EXPECTED = {
    "quickstart.yaml": {"openai/gpt-4o-mini"},
    "bedrock.yaml": {
        "amazon_bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
        "amazon_bedrock/us.amazon.nova-pro-v1:0",
    },
    "gemini.yaml": {"gemini/gemini-2.0-flash"},
    "azure.yaml": {"gpt-4o", "gpt-4o-mini"},
    "aliases.yaml": {"openai/gpt-4o-mini", "anthropic/claude-sonnet-4-20250514", "fast", "smart"},
}


def test_every_example_is_covered() -> None:
    assert {path.name for path in EXAMPLES.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_starts_and_lists_its_models(name: str) -> None:
    with run_service("llm_gateway", EXAMPLES / name, env=ENVIRONMENT) as gateway:
        with urllib.request.urlopen(f"{gateway.url}/healthz", timeout=5) as response:
            assert response.status == 200
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="unused", max_retries=0)
        listed = {model.id for model in client.models.list()}
        assert EXPECTED[name] <= listed, listed
        assert "WARNING" not in gateway.stderr_text()  # every key the example names is set
