"""Provider-specific defaults the original applies when rendering a config.

- ChatGPT (subscription) providers forward the client's credentials unless an access_key is
  given and send the headers the Codex backend expects.
- Kimi Code (`api.kimi.com`, model `kimi-for-coding`) needs a `/coding/v1` base path and the
  Kimi CLI user agent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

__all__ = [
    "CHATGPT_ORIGINATOR",
    "CHATGPT_USER_AGENT",
    "KIMI_CODE_HOST",
    "KIMI_CODE_MODEL",
    "KIMI_CODE_USER_AGENT",
    "chatgpt_headers",
    "is_kimi_code",
    "kimi_code_path_prefix",
    "set_default_header",
]

CHATGPT_ORIGINATOR = "codex_cli_rs"
CHATGPT_USER_AGENT = "codex_cli_rs/0.0.0 (Unknown 0; unknown) unknown"
KIMI_CODE_HOST = "api.kimi.com"
KIMI_CODE_MODEL = "kimi-for-coding"
KIMI_CODE_USER_AGENT = "KimiCLI/1.3"


def set_default_header(headers: dict[str, str], name: str, value: str) -> None:
    """Add a header unless one with the same name (any case) is already there."""
    if all(existing.lower() != name.lower() for existing in headers):
        headers[name] = value


def chatgpt_headers(headers: dict[str, str], environ: Mapping[str, str]) -> None:
    """The Codex backend headers; the account id comes from CHATGPT_ACCOUNT_ID when set."""
    account = environ.get("CHATGPT_ACCOUNT_ID")
    if account:
        set_default_header(headers, "ChatGPT-Account-Id", account)
    set_default_header(headers, "originator", CHATGPT_ORIGINATOR)
    set_default_header(headers, "user-agent", CHATGPT_USER_AGENT)
    set_default_header(headers, "session_id", str(uuid.uuid4()))


def is_kimi_code(host: str | None, model: str) -> bool:
    """True for the Kimi Code API."""
    return host == KIMI_CODE_HOST or model == KIMI_CODE_MODEL


def kimi_code_path_prefix(path_prefix: str | None) -> str | None:
    """`/coding` becomes `/coding/v1`; other prefixes are kept."""
    if path_prefix is not None and path_prefix.endswith("/coding"):
        return f"{path_prefix}/v1"
    return path_prefix
