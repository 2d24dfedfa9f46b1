"""Locate the read-only `shared/` folder that lies beside a CI checkout, or skip.

A user's clone has no `../shared`; tests that read it skip with a reason there. CI sets
`PLANO_REQUIRE_FIXTURES=1`, which turns that skip into a failure, so a missing folder can never
silently hide a test in CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["REQUIRE_ENV", "SHARED_ROOT", "require_shared", "shared_available"]

REQUIRE_ENV = "PLANO_REQUIRE_FIXTURES"
SHARED_ENV = "PLANO_SHARED_DIR"
SHARED_ROOT = Path(__file__).resolve().parents[4].parent / "shared"


def _root() -> Path:
    override = os.environ.get(SHARED_ENV)
    return Path(override) if override else SHARED_ROOT


def shared_available(relative: str) -> bool:
    """Whether `shared/<relative>` exists beside the checkout."""
    return (_root() / relative).exists()


def require_shared(relative: str) -> Path:
    """The path `shared/<relative>`; skip the calling test when it is absent.

    With `PLANO_REQUIRE_FIXTURES=1` the absence fails the test instead.
    """
    path = _root() / relative
    if path.exists():
        return path
    message = f"shared fixture {relative!r} not present at {path} (only CI has ../shared)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(message + f" ({REQUIRE_ENV}=1)")
    pytest.skip(message)
