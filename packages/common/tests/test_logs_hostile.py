"""Secret masking stays fast and bounded on hostile text (a client controls much of what is
logged: model names, request ids, upstream error text)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from plano_common import logs
from plano_common.clip import clip
from plano_common.logs import MAX_MASKED_CHARS, mask_text

MB = 1024 * 1024

# Shapes that made a backtracking pattern restart at every position (the URL-password scheme
# scan restarted at each `\b` of `a-a-a-…`), or that trigger every pattern at once.
ADVERSARIAL_UNITS = {
    "scheme-run": "a-",
    "dotted-run": "a.",
    "url-userinfo": "a://a:",
    "provider-prefix": "sk-",
    "named-quote": "'password'",
    "every-pattern": "x-api-key: 'k' Bearer t authorization: ?key=v a://u:p@ AKIA sk- AIza ",
}


def _best_of_three(work: Callable[[], object]) -> float:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.parametrize("unit", ADVERSARIAL_UNITS.values(), ids=ADVERSARIAL_UNITS.keys())
def test_masking_hostile_text_is_fast(unit: str) -> None:
    # 64 KB first: a quadratic pattern fails here in seconds rather than hanging on 1 MB.
    for size in (64 * 1024, MB):
        text = unit * (size // len(unit) + 1)
        elapsed = _best_of_three(lambda text=text: mask_text(text))  # type: ignore[misc]
        assert elapsed < 0.050, f"masking {len(text)} chars took {elapsed * 1000:.1f} ms"


def test_long_text_is_clipped_before_masking() -> None:
    secret = "sk-proj-" + "A" * 40
    text = f"model {secret} " + "x" * MB
    masked = mask_text(text)
    assert len(masked) < MAX_MASKED_CHARS + 64
    assert secret not in masked
    assert masked.endswith(f"…[+{len(text) - MAX_MASKED_CHARS} chars]")


def test_a_secret_cut_at_the_clip_boundary_is_dropped_whole() -> None:
    secret = "sk-proj-" + "B" * 40
    text = "y " * 50 + secret
    clipped = clip(text, 110)  # the cut falls inside the key
    assert "sk-" not in clipped
    assert clipped.startswith("y y")
    assert clipped.endswith("chars]")
    assert clip("short", 10) == "short"


def test_every_sensitive_name_has_a_trigger_literal() -> None:
    # mask_text only runs the named-value pattern when one of these literals occurs.
    for name in logs._SENSITIVE_NAMES:
        assert any(trigger in name for trigger in logs._NAMED_TRIGGERS), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis://user:hunter2@cache:6379/0", "redis://user:***@cache:6379/0"),
        ("dsn a-b.postgres://u:pw@db/x", "dsn a-b.postgres://u:***@db/x"),
        ("_http://u:pw@h", "_http://u:***@h"),
    ],
)
def test_url_passwords_still_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected
