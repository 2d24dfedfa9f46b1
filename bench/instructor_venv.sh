#!/usr/bin/env bash
# Create (once) a separate venv holding instructor for the client compatibility checks; print
# its python. instructor pins an older jiter than the project's openai, so it cannot join the
# project's dev dependencies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${INSTRUCTOR_VENV:-$here/.venvs/instructor}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import instructor' 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'instructor==1.17.0' >&2
fi
echo "$venv/bin/python"
