"""The `planoai init` templates, shipped as package data (`planoai/templates/*.yaml`)."""

from __future__ import annotations

from importlib import resources

__all__ = ["TEMPLATES", "template_text"]

TEMPLATES = {
    "sub_agent_orchestration": "agents picked by an orchestrator behind an agent listener",
    "coding_agent_routing": "coding agents (Claude Code, Codex) routed between models",
    "preference_aware_routing": "requests routed to models by plain-language preferences",
    "filter_chain_guardrails": "input and output filters around the model listener",
    "conversational_state": "stateful /v1/responses (previous_response_id) for any provider",
}


def template_text(name: str) -> str:
    """The YAML text of a template; KeyError for an unknown name."""
    if name not in TEMPLATES:
        raise KeyError(name)
    return resources.files("planoai").joinpath("templates", f"{name}.yaml").read_text("utf-8")
