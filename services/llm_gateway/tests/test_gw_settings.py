"""Gateway knobs: durations, environment overrides, retry-after parsing."""

from __future__ import annotations

import email.utils
import time

import pytest

from llm_gateway.settings import SettingsError, parse_duration, settings_from
from llm_gateway.transport import retry_after_seconds
from plano_common.config.durations import parse_duration as config_parse_duration
from plano_common.config.errors import ConfigError


def test_gw_durations() -> None:
    assert parse_duration("30s", "t", 1.0) == 30.0
    assert parse_duration("250ms", "t", 1.0) == 0.25
    assert parse_duration("2m", "t", 1.0) == 120.0
    assert parse_duration(7, "t", 1.0) == 7.0
    assert parse_duration(None, "t", 1.5) == 1.5
    with pytest.raises(SettingsError, match=r"t: .*is not a duration"):
        parse_duration("soon", "t", 1.0)


@pytest.mark.parametrize("text", ["1m30s", "2S", "0", "0s", "500ms", "1.5", "-1s", "soon", True])
def test_gw_durations_agree_with_the_config_parser(text: str | bool) -> None:
    """One grammar: a knob accepts exactly what a config duration accepts, with the same value."""
    try:
        expected: float | None = config_parse_duration(text, ())
    except ConfigError:
        expected = None
    if expected is None:
        with pytest.raises(SettingsError):
            parse_duration(text, "t", 1.0)
    else:
        assert parse_duration(text, "t", 1.0) == expected
    assert config_parse_duration("1m30s", ()) == 90.0
    assert config_parse_duration("2S", ()) == 2.0
    with pytest.raises(ConfigError, match="positive"):
        config_parse_duration("0", ())


def test_gw_settings_from_config_and_environment() -> None:
    settings = settings_from(
        listener_timeout=12.0,
        listener_max_retries=3,
        connect_timeout="2s",
        tls_ca_path="/etc/ca.pem",
        environ={
            "PLANO_LLM_MAX_BODY_BYTES": "1024",
            "PLANO_RATELIMIT_BACKEND": "redis",
            "PLANO_RATELIMIT_REDIS_URL": "redis://r:6379/1",
            "PLANO_RATELIMIT_FAIL_OPEN": "0",
        },
    )
    assert settings.route_timeout == 12.0
    assert settings.max_retries == 3
    assert settings.connect_timeout == 2.0
    assert settings.tls_ca_path == "/etc/ca.pem"
    assert settings.max_body_bytes == 1024
    assert settings.ratelimit_backend == "redis"
    assert settings.ratelimit_redis_url == "redis://r:6379/1"
    assert settings.ratelimit_fail_open is False


def test_gw_settings_defaults_and_bad_values() -> None:
    settings = settings_from(
        listener_timeout=None,
        listener_max_retries=None,
        connect_timeout=None,
        tls_ca_path=None,
        environ={},
    )
    assert settings.route_timeout == 300.0
    assert settings.max_retries == 0
    assert settings.connect_timeout == 5.0
    assert settings.max_body_bytes == 32 * 1024 * 1024
    assert settings.ratelimit_backend == "memory"
    with pytest.raises(SettingsError, match="PLANO_RATELIMIT_BACKEND"):
        settings_from(
            listener_timeout=None,
            listener_max_retries=None,
            connect_timeout=None,
            tls_ca_path=None,
            environ={"PLANO_RATELIMIT_BACKEND": "etcd"},
        )
    with pytest.raises(SettingsError, match="PLANO_LLM_MAX_BODY_BYTES"):
        settings_from(
            listener_timeout=None,
            listener_max_retries=None,
            connect_timeout=None,
            tls_ca_path=None,
            environ={"PLANO_LLM_MAX_BODY_BYTES": "big"},
        )


def test_gw_retry_after_forms() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("garbage") is None
    later = email.utils.formatdate(time.time() + 10, usegmt=True)
    value = retry_after_seconds(later)
    assert value is not None and 8 <= value <= 11
