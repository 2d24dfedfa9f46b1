"""Server knobs from the environment, refused with a message naming the knob."""

from __future__ import annotations

import pytest

from plano_common.server_settings import ServerSettings, ServerSettingsError, server_settings


def test_defaults() -> None:
    settings = server_settings({})
    assert settings == ServerSettings()
    assert settings.drain_seconds >= 30
    assert settings.header_timeout_seconds < settings.keep_alive_seconds


def test_values_from_the_environment() -> None:
    settings = server_settings(
        {
            "PLANO_KEEP_ALIVE_SECONDS": "5",
            "PLANO_HEADER_TIMEOUT_SECONDS": "1.5",
            "PLANO_BODY_TIMEOUT_SECONDS": "20",
            "PLANO_BODY_BUDGET_BYTES": "1048576",
            "PLANO_DRAIN_SECONDS": "0",
        }
    )
    assert settings == ServerSettings(5.0, 1.5, 20.0, 1048576, 0.0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PLANO_KEEP_ALIVE_SECONDS", "soon", "expected a number of seconds"),
        ("PLANO_KEEP_ALIVE_SECONDS", "0", "must be positive"),
        ("PLANO_HEADER_TIMEOUT_SECONDS", "-1", "must be positive"),
        ("PLANO_BODY_TIMEOUT_SECONDS", "inf", "must be positive"),
        ("PLANO_BODY_BUDGET_BYTES", "1GB", "expected a number of bytes"),
        ("PLANO_BODY_BUDGET_BYTES", "0", "must be positive"),
        ("PLANO_DRAIN_SECONDS", "nan", "must be zero or more"),
    ],
)
def test_bad_values_name_the_knob(name: str, value: str, message: str) -> None:
    with pytest.raises(ServerSettingsError, match=f"^{name}: {message}"):
        server_settings({name: value})
