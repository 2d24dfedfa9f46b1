"""The config `planoai up` writes when it is given no file: one wildcard provider per provider
key found in the environment; OpenAI and Anthropic forward the client's own key otherwise."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PROVIDER_KEYS", "passthrough_config"]

PROVIDER_KEYS = (
    ("OPENAI_API_KEY", "openai"),
    ("ANTHROPIC_API_KEY", "anthropic"),
    ("GEMINI_API_KEY", "gemini"),
    ("GROQ_API_KEY", "groq"),
    ("MISTRAL_API_KEY", "mistral"),
    ("DEEPSEEK_API_KEY", "deepseek"),
    ("XAI_API_KEY", "xai"),
    ("TOGETHER_API_KEY", "together_ai"),
    ("OPENROUTER_API_KEY", "openrouter"),
)
PASSTHROUGH_PREFIXES = ("openai", "anthropic")


def passthrough_config(environ: Mapping[str, str], model_port: int = 12000) -> str:
    """YAML text of a pass-through config; keys are written as `$VAR` references."""
    lines = [
        "# Written by `planoai up` from the provider keys in the environment.",
        "version: v0.3.0",
        "",
        "listeners:",
        "  - type: model",
        "    name: model_listener",
        f"    port: {model_port}",
        "",
        "model_providers:",
    ]
    found = [(var, prefix) for var, prefix in PROVIDER_KEYS if environ.get(var, "").strip()]
    for var, prefix in found:
        lines += [f"  - model: {prefix}/*", f"    access_key: ${var}"]
    keyed = {prefix for _, prefix in found}
    for prefix in PASSTHROUGH_PREFIXES:
        if prefix not in keyed:
            lines += [f"  - model: {prefix}/*", "    passthrough_auth: true"]
    return "\n".join(lines) + "\n"
