"""Integer knobs from the environment: defaults, bounds and the variable named in errors."""

from __future__ import annotations

import pytest

from plano_common.env_knobs import env_int


class KnobError(ValueError):
    pass


def test_unset_or_blank_gives_the_default() -> None:
    assert env_int({}, "N", 7) == 7
    assert env_int({"N": "  "}, "N", 7) == 7
    assert env_int({"N": " 12 "}, "N", 7) == 12


@pytest.mark.parametrize(
    ("raw", "allow_zero", "message"),
    [
        ("many", False, "N: expected an integer, got 'many'"),
        ("1.5", False, "N: expected an integer"),
        ("0", False, "N: must be positive, got '0'"),
        ("-3", True, "N: must not be negative, got '-3'"),
    ],
)
def test_bad_values_name_the_variable(raw: str, allow_zero: bool, message: str) -> None:
    with pytest.raises(KnobError, match=message):
        env_int({"N": raw}, "N", 1, allow_zero=allow_zero, error=KnobError)


def test_zero_when_allowed() -> None:
    assert env_int({"N": "0"}, "N", 5, allow_zero=True) == 0
