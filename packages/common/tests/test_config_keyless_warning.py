"""The no-credentials warning appears only when a provider's requests will really fail."""

from __future__ import annotations

import pytest

from plano_common.config import load_config_text

HEADER = "version: v0.4.0\nlisteners: [{type: model, name: m}]\nmodel_providers:\n"


def keyless_warnings(entry: str, **environ: str) -> list[str]:
    config = load_config_text(HEADER + f"  - {entry}\n", environ=environ)
    return [w for w in config.warnings if "no access_key" in w]


@pytest.mark.parametrize(
    "entry",
    [
        "{model: my_server/llama3, provider_interface: openai, base_url: 'http://localhost:8000/v1'}",
        "{model: openai/gpt-4o, base_url: 'http://127.0.0.1:9000/v1'}",
        "{model: ollama/llama3, base_url: 'http://localhost:11434'}",
        "{model: azure_openai/gpt-4o, base_url: 'http://proxy.internal:8080'}",
        "{model: amazon_bedrock/m, base_url: 'http://bedrock-proxy.internal'}",
        "{model: openai/gpt-4o, passthrough_auth: true}",
        "{model: openai/gpt-4o, access_key: k}",
        "{model: chatgpt/gpt-5}",
    ],
)
def test_no_warning_when_requests_work(entry: str) -> None:
    assert keyless_warnings(entry) == []


def test_hosted_service_at_its_default_address_is_rejected_by_the_gateway() -> None:
    [warning] = keyless_warnings("{model: openai/gpt-4o, access_key: '${K:-}'}")
    assert "the gateway will reject its requests; set access_key" in warning


@pytest.mark.parametrize(
    ("entry", "host"),
    [
        ("{model: openai/gpt-4o, base_url: 'https://api.openai.com/v1'}", "api.openai.com"),
        (
            "{model: azure_openai/gpt-4o, base_url: 'https://acme.openai.azure.com'}",
            "acme.openai.azure.com",
        ),
        (
            "{model: amazon_bedrock/m, base_url: 'https://bedrock-runtime.us-east-1.amazonaws.com'}",
            "bedrock-runtime.us-east-1.amazonaws.com",
        ),
    ],
)
def test_hosted_service_behind_base_url_is_rejected_there(entry: str, host: str) -> None:
    [warning] = keyless_warnings(entry)
    assert f"reach {host} without credentials and will be rejected there" in warning


def test_bedrock_with_region_needs_credentials() -> None:
    [warning] = keyless_warnings("{model: amazon_bedrock/m, aws: {region: us-west-2}}")
    assert "AWS credentials" in warning
    signed = keyless_warnings(
        "{model: amazon_bedrock/m, aws: {region: us-west-2}}",
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert signed == []
