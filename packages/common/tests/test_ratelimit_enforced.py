"""Enforced rate-limit selectors: the rule reads its own header and a default bucket catches
requests without it, so a client cannot opt out; configs without them keep the original
semantics."""

from __future__ import annotations

import pytest

from plano_common.config import ConfigError, PlanoConfig, load_config_text
from plano_common.config.json_schema import config_json_schema
from plano_common.ratelimit import SELECTOR_HEADER, InProcessRateLimiter, RateLimitRule, TimeUnit

HEAD = (
    "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 12000}\n"
    "model_providers:\n  - {model: openai/gpt-4o, access_key: k}\n"
)


def load(text: str) -> PlanoConfig:
    return load_config_text(text, environ={})


def limiter(*rules: RateLimitRule) -> InProcessRateLimiter:
    return InProcessRateLimiter(rules, clock=lambda: 1000.0)


def enforced(
    value: str | None = None, default: str | None = None, tokens: int = 10
) -> RateLimitRule:
    return RateLimitRule(
        model="gpt-4o",
        selector_key="x-user-id",
        selector_value=value,
        tokens=tokens,
        unit=TimeUnit.MINUTE,
        enforce=True,
        default_value=default,
    )


def admitted(rl: InProcessRateLimiter, headers: dict[str, str], tokens: int = 6) -> bool:
    return rl.acquire_now("gpt-4o", headers, tokens).allowed


def test_without_enforce_a_request_that_names_no_selector_is_not_limited() -> None:
    rl = limiter(
        RateLimitRule(model="gpt-4o", selector_key="x-user-id", tokens=10, unit=TimeUnit.MINUTE)
    )
    assert all(admitted(rl, {"x-user-id": "alice"}) for _ in range(5))
    assert admitted(rl, {SELECTOR_HEADER: "x-user-id", "x-user-id": "alice"})
    assert not admitted(rl, {SELECTOR_HEADER: "x-user-id", "x-user-id": "alice"})


def test_enforced_rule_reads_its_header_without_the_selector_header() -> None:
    rl = limiter(enforced())
    assert admitted(rl, {"x-user-id": "alice"})
    assert not admitted(rl, {"x-user-id": "alice"})
    assert not admitted(rl, {"x-user-id": "alice", SELECTOR_HEADER: "x-other"})
    assert admitted(rl, {"x-user-id": "bob"})


def test_default_bucket_catches_requests_without_the_header() -> None:
    rl = limiter(enforced(default="anonymous"))
    assert admitted(rl, {})
    assert not admitted(rl, {})
    assert not admitted(rl, {SELECTOR_HEADER: "x-unknown", "x-unknown": "1"})
    decision = rl.acquire_now("gpt-4o", {}, 6)
    assert "x-user-id:anonymous" in decision.message()


def test_enforced_rule_without_default_leaves_headerless_requests_alone() -> None:
    rl = limiter(enforced())
    assert all(admitted(rl, {}) for _ in range(3))


def test_enforced_value_rule_has_its_own_bucket() -> None:
    rl = limiter(enforced(value="vip", tokens=100), enforced(default="anonymous"))
    assert all(admitted(rl, {"x-user-id": "vip"}) for _ in range(5))
    assert admitted(rl, {"x-user-id": "eve"})
    assert not admitted(rl, {"x-user-id": "eve"})


def test_config_enforce_and_default() -> None:
    config = load(
        HEAD
        + "ratelimits:\n"
        + "  - model: gpt-4o\n"
        + "    selector: {key: x-user-id, enforce: true, default: anonymous}\n"
        + "    limit: {tokens: 10, unit: minute}\n"
    )
    (limit,) = config.ratelimits
    assert (limit.enforce, limit.default_value, limit.selector_value) == (True, "anonymous", None)
    assert not config.warnings


def test_old_config_keeps_the_opt_in_semantics() -> None:
    config = load(
        HEAD + "ratelimits:\n  - {model: gpt-4o, selector: {key: x-user-id}, "
        "limit: {tokens: 10, unit: minute}}\n"
    )
    (limit,) = config.ratelimits
    assert (limit.enforce, limit.default_value) == (False, None)


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("{key: x-user-id, default: anon}", "needs `enforce: true`"),
        ("{key: x-user-id, value: bob, enforce: true, default: anon}", "without `value`"),
    ],
)
def test_config_rejects_a_default_that_cannot_apply(selector: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(
            HEAD + f"ratelimits:\n  - {{model: gpt-4o, selector: {selector}, "
            "limit: {tokens: 10, unit: minute}}\n"
        )


def test_config_rejects_two_enforced_headers_for_one_model() -> None:
    with pytest.raises(ConfigError, match="same header"):
        load(
            HEAD + "ratelimits:\n"
            "  - {model: gpt-4o, selector: {key: x-user-id, enforce: true}, "
            "limit: {tokens: 10, unit: minute}}\n"
            "  - {model: gpt-4o, selector: {key: x-org, enforce: true}, "
            "limit: {tokens: 10, unit: minute}}\n"
        )


def test_config_warns_about_client_selected_limits_shadowed_by_an_enforced_one() -> None:
    config = load(
        HEAD + "ratelimits:\n"
        "  - {model: gpt-4o, selector: {key: x-user-id, enforce: true}, "
        "limit: {tokens: 10, unit: minute}}\n"
        "  - {model: gpt-4o, selector: {key: x-org}, limit: {tokens: 10, unit: minute}}\n"
    )
    assert any("never applies" in warning for warning in config.warnings)


def test_json_schema_describes_enforce_and_default() -> None:
    schema = config_json_schema()
    selector = schema["$defs"]["RateLimitSelectorEntry"]["properties"]
    assert selector["enforce"]["type"] == "boolean"
    assert "default" in selector
