"""Refresh hermesllm's packaged model catalog from the providers' own model listings.

Maintenance tool, run by hand (never in CI or tests): for every provider whose API key is
set in the environment, fetch its model list, keep the text-generation models and replace
that provider's entry. Providers without a key, or whose fetch fails, keep their existing
entry, so a partial run never loses data.

    uv run python packages/hermesllm/scripts/refresh_model_catalog.py            # fetch
    uv run python packages/hermesllm/scripts/refresh_model_catalog.py --offline  # re-filter only
    uv run python packages/hermesllm/scripts/refresh_model_catalog.py --dry-run  # print a summary

Keys: OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY (or GOOGLE_API_KEY), MISTRAL_API_KEY,
DEEPSEEK_API_KEY, XAI_API_KEY (or GROK_API_KEY), GROQ_API_KEY, TOGETHER_API_KEY,
MOONSHOT_API_KEY, DASHSCOPE_API_KEY, ZHIPU_API_KEY, MIMO_API_KEY, DO_API_KEY,
LLAMA_API_KEY (or META_MODELS_API_KEY), MINIMAX_API_KEY. Amazon Bedrock models are listed
through the AWS CLI when AWS credentials are configured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = (
    Path(__file__).resolve().parents[1] / "src" / "hermesllm" / "data" / "model_catalog.json"
)
CATALOG_FORMAT = 1
TIMEOUT_SECONDS = 30

NON_TEXT_MODEL = re.compile(
    r"embed|whisper|tts|dall-e|sora|moderation|babbage|davinci-002|transcribe|realtime"
    r"|audio|-image-|imagine|gpt-image|chatgpt-image|(^|-)ocr|voxtral|rerank"
)
DATED_SUFFIX = re.compile(r"-\d{8}$")


@dataclass(frozen=True)
class OpenAIStyleSource:
    """A provider that lists models at an OpenAI-compatible ``/models`` endpoint."""

    provider: str
    env_vars: tuple[str, ...]
    url: str


OPENAI_STYLE_SOURCES = (
    OpenAIStyleSource("openai", ("OPENAI_API_KEY",), "https://api.openai.com/v1/models"),
    OpenAIStyleSource("mistral", ("MISTRAL_API_KEY",), "https://api.mistral.ai/v1/models"),
    OpenAIStyleSource("deepseek", ("DEEPSEEK_API_KEY",), "https://api.deepseek.com/models"),
    OpenAIStyleSource("xai", ("XAI_API_KEY", "GROK_API_KEY"), "https://api.x.ai/v1/models"),
    OpenAIStyleSource("groq", ("GROQ_API_KEY",), "https://api.groq.com/openai/v1/models"),
    OpenAIStyleSource("together_ai", ("TOGETHER_API_KEY",), "https://api.together.xyz/v1/models"),
    OpenAIStyleSource("moonshotai", ("MOONSHOT_API_KEY",), "https://api.moonshot.ai/v1/models"),
    OpenAIStyleSource(
        "qwen",
        ("DASHSCOPE_API_KEY",),
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/models",
    ),
    OpenAIStyleSource("zhipu", ("ZHIPU_API_KEY",), "https://open.bigmodel.cn/api/paas/v4/models"),
    OpenAIStyleSource("xiaomi", ("MIMO_API_KEY",), "https://api.xiaomimimo.com/v1/models"),
    OpenAIStyleSource(
        "digitalocean",
        ("DO_API_KEY", "DIGITALOCEAN_API_KEY"),
        "https://inference.do-ai.run/v1/models",
    ),
    OpenAIStyleSource(
        "meta", ("LLAMA_API_KEY", "META_MODELS_API_KEY"), "https://api.llama.com/v1/models"
    ),
    OpenAIStyleSource("minimax", ("MINIMAX_API_KEY",), "https://api.minimax.io/v1/models"),
)


def is_text_model(model_id: str) -> bool:
    """True unless the id names an embedding, audio, image, video, OCR or moderation model."""
    return NON_TEXT_MODEL.search(model_id.lower()) is None


def first_env(names: Iterable[str]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def get_json(url: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, headers={"accept": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return json.loads(response.read())


def fetch_openai_style(source: OpenAIStyleSource, key: str) -> list[str]:
    payload = get_json(source.url, {"authorization": f"Bearer {key}"})
    entries = payload if isinstance(payload, list) else payload.get("data", [])
    return [entry["id"] for entry in entries if isinstance(entry, dict) and "id" in entry]


def fetch_anthropic(key: str) -> list[str]:
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    ids: list[str] = []
    after: str | None = None
    while True:
        query = {"limit": "1000"} | ({"after_id": after} if after else {})
        page = get_json(
            f"https://api.anthropic.com/v1/models?{urllib.parse.urlencode(query)}", headers
        )
        ids.extend(entry["id"] for entry in page.get("data", []))
        if not page.get("has_more"):
            break
        after = page.get("last_id")
    with_aliases: list[str] = []
    for model_id in ids:
        with_aliases.append(model_id)
        alias = DATED_SUFFIX.sub("", model_id)
        if alias != model_id:
            with_aliases.append(alias)
    return with_aliases


def fetch_gemini(key: str) -> list[str]:
    ids: list[str] = []
    token: str | None = None
    while True:
        query = {"pageSize": "1000"} | ({"pageToken": token} if token else {})
        url = f"https://generativelanguage.googleapis.com/v1beta/models?{urllib.parse.urlencode(query)}"
        page = get_json(url, {"x-goog-api-key": key})
        ids.extend(
            model["name"].removeprefix("models/")
            for model in page.get("models", [])
            if "generateContent" in model.get("supportedGenerationMethods", [])
        )
        token = page.get("nextPageToken")
        if not token:
            return ids


def aws_credentials_available() -> bool:
    names = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE")
    return shutil.which("aws") is not None and any(os.environ.get(n) for n in names)


def fetch_bedrock() -> list[str]:
    command = [
        "aws", "bedrock", "list-foundation-models", "--by-provider", "amazon",
        "--by-output-modality", "TEXT", "--output", "json", "--no-cli-pager",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    return [summary["modelId"] for summary in json.loads(result.stdout)["modelSummaries"]]


def fetchers() -> dict[str, Callable[[], list[str]] | None]:
    """Provider -> fetch function, or None when no credentials are configured."""
    table: dict[str, Callable[[], list[str]] | None] = {}
    for source in OPENAI_STYLE_SOURCES:
        key = first_env(source.env_vars)
        table[source.provider] = (lambda s=source, k=key: fetch_openai_style(s, k)) if key else None
    anthropic_key = first_env(("ANTHROPIC_API_KEY",))
    table["anthropic"] = (lambda: fetch_anthropic(anthropic_key)) if anthropic_key else None
    gemini_key = first_env(("GEMINI_API_KEY", "GOOGLE_API_KEY"))
    table["gemini"] = (lambda: fetch_gemini(gemini_key)) if gemini_key else None
    table["amazon_bedrock"] = fetch_bedrock if aws_credentials_available() else None
    return table


def clean(ids: Iterable[str]) -> list[str]:
    """Text models only, duplicates removed, first occurrence order kept."""
    return list(dict.fromkeys(i.strip() for i in ids if i.strip() and is_text_model(i)))


def refresh(catalog: dict[str, Any], offline: bool) -> dict[str, Any]:
    providers: dict[str, list[str]] = {k: clean(v) for k, v in catalog["providers"].items()}
    if not offline:
        for provider, fetch in fetchers().items():
            kept = len(providers.get(provider, []))
            if fetch is None:
                print(f"  skip   {provider}: no credentials (keeping {kept})")
                continue
            try:
                models = clean(fetch())
            except Exception as error:  # any failure keeps the existing entry
                print(f"  FAILED {provider}: {error} (keeping {kept})", file=sys.stderr)
                continue
            if models:
                providers[provider] = models
                print(f"  ok     {provider}: {len(models)} models")
    return {
        "format": CATALOG_FORMAT,
        "updated": datetime.date.today().isoformat(),
        "providers": dict(sorted(providers.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=CATALOG_PATH)
    parser.add_argument("--offline", action="store_true", help="only re-filter the catalog")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    args = parser.parse_args()
    catalog = json.loads(args.catalog.read_text())
    refreshed = refresh(catalog, args.offline)
    total = sum(len(models) for models in refreshed["providers"].values())
    print(f"{len(refreshed['providers'])} providers, {total} models")
    if not args.dry_run:
        args.catalog.write_text(json.dumps(refreshed, indent=1) + "\n")
        print(f"wrote {args.catalog}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
