#!/usr/bin/env bash
# Create (once) a separate venv holding LiteLLM for side-by-side benchmarks; print its python.
# LiteLLM is never a project dependency.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${LITELLM_VENV:-$here/.venvs/litellm}"
if [ ! -x "$venv/bin/litellm" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'litellm[proxy]==1.99.4' >&2
fi
echo "$venv/bin/python"
