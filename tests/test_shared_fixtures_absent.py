"""A clone without `../shared`: the suite collects, and tests that read it skip with a reason.

Each case runs pytest in a subprocess with `PLANO_SHARED_DIR` pointing at an empty folder; with
`PLANO_REQUIRE_FIXTURES=1` (as CI sets it) the same absence is a failure instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READERS_OF_SHARED = [
    "packages/hermesllm/tests/test_eventstream_decoder.py",
    "packages/hermesllm/tests/test_stream_metrics.py",
    "packages/hermesllm/tests/test_stream_translation.py",
    "packages/hermesllm/tests/test_stream_sdk.py",
    "packages/testkit/tests/test_fake_bedrock.py",
    "packages/common/tests/test_config_fixtures.py",
    "packages/common/tests/test_config_schema.py",
]


def pytest_run(shared: Path, *args: str, require: bool) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PLANO_SHARED_DIR=str(shared))
    env["PLANO_REQUIRE_FIXTURES"] = "1" if require else "0"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def counts(output: str) -> dict[str, int]:
    """`{"passed": n, "skipped": m, ...}` from pytest's summary line."""
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|skipped|failed|error)", output)}


def test_whole_suite_collects_without_shared(tmp_path: Path) -> None:
    result = pytest_run(tmp_path, "--collect-only", require=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "error" not in counts(result.stdout)


def test_readers_of_shared_skip_with_a_reason(tmp_path: Path) -> None:
    # The tests that read ../shared, plus the rest of the config files (kept quick).
    chosen = "aws or real_recordings or config"
    result = pytest_run(tmp_path, "-rs", "-k", chosen, *READERS_OF_SHARED, require=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = counts(result.stdout)
    assert summary.get("skipped", 0) > 0 and summary.get("passed", 0) > 0, summary
    assert "failed" not in summary and "error" not in summary, summary
    assert "only CI has ../shared" in result.stdout


def test_required_fixtures_missing_is_a_failure(tmp_path: Path) -> None:
    result = pytest_run(
        tmp_path,
        "packages/common/tests/test_config_schema.py::test_every_key_of_the_original_schema_is_accepted",
        "packages/hermesllm/tests/test_stream_sdk.py::test_bedrock_max_tokens_recording_reaches_anthropic_sdk",
        require=True,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    summary = counts(result.stdout)
    assert summary.get("failed") == 2 and "skipped" not in summary, summary
    assert "PLANO_REQUIRE_FIXTURES=1" in result.stdout
