"""Integer knobs read from environment variables, with one message per kind of mistake."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["env_int"]


def env_int(
    environ: Mapping[str, str],
    name: str,
    default: int,
    *,
    allow_zero: bool = False,
    error: type[ValueError] = ValueError,
) -> int:
    """The integer in variable `name` (surrounding blanks ignored), or `default` when it is
    unset or blank. A value that is not an integer, negative, or zero without `allow_zero`
    raises `error` naming the variable."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise error(f"{name}: expected an integer, got {raw!r}") from None
    if value < 0 or (value == 0 and not allow_zero):
        bound = "must not be negative" if allow_zero else "must be positive"
        raise error(f"{name}: {bound}, got {raw!r}")
    return value
