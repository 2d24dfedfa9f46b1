"""The router: orchestrator outcomes, selection policies, affinity and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from brightstaff.routing import router_settings
from brightstaff.routing.prices import ModelRates, PriceBook
from brightstaff.routing.router import PreferenceRouter
from brightstaff.routing.session import SWITCH_SPEND_HEADER, budget_for
from brightstaff.seams import LlmRequest
from plano_common.config.types import PlanoConfig, RoutingBudget, RoutingPreference
from plano_testkit.orchestrator import FakeOrchestrator, OrchestratorMode

RouterFactory = Callable[..., PreferenceRouter]
RequestFactory = Callable[..., LlmRequest]
CODE = "please write a python function for fibonacci code"
IMAGE = "draw pictures of a cat"
SONNET = "anthropic/claude-sonnet-4-6"


def _with_policy(preference: RoutingPreference, prefer: str) -> RoutingPreference:
    return RoutingPreference(
        name=preference.name,
        description=preference.description,
        models=preference.models,
        prefer=prefer,  # type: ignore[arg-type]
    )


async def test_the_route_picks_its_first_model(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    router = make_router()
    decision = await router.decide(req(CODE))
    assert decision.route == "code generation"
    assert decision.models == ("openai/gpt-4o", SONNET)
    assert decision.fallback is None
    image = await router.decide(req(IMAGE))
    assert (image.route, image.models) == ("image generation", ("openai/gpt-4o-mini",))
    body = orchestrator.bodies[0]
    assert body["model"] == "Plano-Orchestrator"
    assert body["temperature"] == 0.01
    assert '"name": "code generation"' in orchestrator.prompts[0]


@pytest.mark.parametrize(
    ("mode", "fallback"),
    [
        ("empty", "no_route"),
        ("unknown", "no_route"),
        ("malformed", "orchestrator_malformed"),
        ("error", "orchestrator_error"),
        ("slow", "orchestrator_timeout"),
    ],
)
async def test_orchestrator_failures_keep_the_requested_model(
    make_router: RouterFactory,
    req: RequestFactory,
    orchestrator: FakeOrchestrator,
    mode: OrchestratorMode,
    fallback: str,
) -> None:
    orchestrator.mode = mode
    registry = CollectorRegistry()
    router = make_router("routing: {orchestrator_timeout: 1s}", registry)
    decision = await router.decide(req(CODE, model=SONNET))
    assert decision.models == (SONNET,)
    assert decision.route is None
    assert decision.fallback == fallback
    labels = {"route": "llm", "selected_model": SONNET, "fallback": "true"}
    assert registry.get_sample_value("brightstaff_router_decisions_total", labels) == 1
    reason = {"reason": fallback}
    assert registry.get_sample_value("brightstaff_router_fallbacks_total", reason) == 1


async def test_no_matching_route_keeps_the_requested_model(
    make_router: RouterFactory, req: RequestFactory
) -> None:
    decision = await make_router().decide(req("hello there"))
    assert (decision.models, decision.fallback) == (("openai/gpt-4o-mini",), "no_route")


async def test_without_preferences_nothing_is_asked(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    decision = await make_router(preferences="").decide(req(CODE, model="openai/gpt-4o"))
    assert decision == type(decision)(models=("openai/gpt-4o",))
    assert orchestrator.prompts == []


async def test_inline_preferences_replace_the_configured_ones(
    make_router: RouterFactory,
    req: RequestFactory,
    load_config: Callable[..., PlanoConfig],
    orchestrator: FakeOrchestrator,
) -> None:
    request = req("translate this sentence to french")
    inline = "routing_preferences: [{name: translation, description: translate sentence, "
    request.inline_preferences = load_config(preferences=inline + f"models: [{SONNET}]}}]")
    request.inline_preferences = request.inline_preferences.routing_preferences
    decision = await make_router().decide(request)
    assert (decision.route, decision.models) == ("translation", (SONNET,))
    assert "code generation" not in orchestrator.prompts[0]


async def test_cheapest_orders_by_catalog_price(make_router: RouterFactory) -> None:
    router = make_router()
    cheapest = _with_policy(router.settings.preferences[0], "cheapest")
    router._prices = PriceBook(
        rates={"gpt-4o": ModelRates(2.5, 10.0), SONNET: ModelRates(1.0, 5.0)}
    )
    assert await router._rank(cheapest) == (SONNET, "openai/gpt-4o")
    router._prices = PriceBook(rates={"gpt-4o": ModelRates(2.5, 10.0)})
    assert await router._rank(cheapest) == ("openai/gpt-4o", SONNET)


async def test_fastest_orders_by_measured_latency(make_router: RouterFactory) -> None:
    router = make_router()
    fastest = _with_policy(router.settings.preferences[0], "fastest")
    assert await router._rank(fastest) == ("openai/gpt-4o", SONNET)
    router.record_latency("gpt-4o", 2.0)
    router.record_latency(SONNET, 0.5)
    router.record_latency("client-chosen-model", 0.01)
    assert await router._rank(fastest) == (SONNET, "openai/gpt-4o")


async def test_a_session_keeps_its_model_for_20_turns(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    router = make_router()
    headers = {"x-model-affinity": "session-1"}
    messages = [{"role": "user", "content": CODE}]
    first = await router.decide(req(messages, headers=headers))
    assert (first.models[0], first.session_id, first.pinned) == (
        "openai/gpt-4o",
        "session-1",
        False,
    )
    for turn in range(20):
        question = IMAGE if turn % 2 else "hello again"
        messages = [
            *messages,
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": question},
        ]
        decision = await router.decide(req(messages, headers=headers))
        assert decision.models[0] == "openai/gpt-4o"
        assert (decision.pinned, decision.switched) == (True, False)
    assert len(orchestrator.prompts) == 1


async def test_without_affinity_each_request_is_routed(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    router = make_router()
    assert (await router.decide(req(CODE))).models[0] == "openai/gpt-4o"
    assert (await router.decide(req(IMAGE))).models[0] == "openai/gpt-4o-mini"
    assert len(orchestrator.prompts) == 2


async def test_route_on_user_only_replays_the_decision_for_tool_turns(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    registry = CollectorRegistry()
    router = make_router("routing: {route_on_user_only: true}", registry)
    messages = [{"role": "system", "content": "agent"}, {"role": "user", "content": CODE}]
    first = await router.decide(req(messages))
    assert first.models[0] == "openai/gpt-4o"
    assert first.session_id is not None and first.session_id.startswith("implicit:")
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [{"id": "t1", "type": "function"}]},
        {"role": "tool", "tool_call_id": "t1", "content": IMAGE},
    ]
    loop = await router.decide(req(messages))
    assert (loop.models[0], loop.route, loop.session_id) == (
        "openai/gpt-4o",
        "code generation",
        first.session_id,
    )
    assert len(orchestrator.prompts) == 1
    skips = {"reason": "not_user_turn"}
    assert registry.get_sample_value("brightstaff_router_skips_total", skips) == 1
    messages += [{"role": "user", "content": IMAGE}]
    new_turn = await router.decide(req(messages))
    assert new_turn.models[0] == "openai/gpt-4o-mini"
    assert (new_turn.pinned, new_turn.switched) == (True, True)


async def test_routing_budget_retains_a_warm_anchor_over_the_cap(
    make_router: RouterFactory, req: RequestFactory
) -> None:
    router = make_router("routing: {routing_budget: {max_switch_spend_pct: 0}}")
    router._keeper._prices = PriceBook(
        rates={"openai/gpt-4o": ModelRates(2.5, 10.0), "openai/gpt-4o-mini": ModelRates(0.15, 0.6)}
    )
    system = "You are a careful agent. " * 400
    first = await router.decide(req(CODE, system=system))
    assert first.models[0] == "openai/gpt-4o"
    # gpt-4o-mini re-reads the context uncached at 0.15/M instead of cached on gpt-4o at
    # 0.25/M: cheaper than staying, so the switch is free.
    turn = [{"role": "user", "content": CODE}, {"role": "assistant", "content": "ok"}]
    cheaper = await router.decide(req([*turn, {"role": "user", "content": IMAGE}], system=system))
    assert (cheaper.models[0], cheaper.switched) == ("openai/gpt-4o-mini", True)
    # Back to gpt-4o costs more than staying; a 0 % cap retains the anchor.
    back = await router.decide(req([*turn, {"role": "user", "content": CODE}], system=system))
    assert (back.models[0], back.pinned, back.switched) == ("openai/gpt-4o-mini", True, False)
    assert back.route == "image generation"
    assert back.models == ("openai/gpt-4o-mini", "openai/gpt-4o", SONNET)


async def test_memory_store_is_an_lru_with_a_ttl(
    make_router: RouterFactory, req: RequestFactory
) -> None:
    router = make_router("routing: {session_max_entries: 2, session_ttl_seconds: 1}")
    for name in ("a", "b", "c"):
        await router.decide(req(CODE, headers={"x-model-affinity": name}))
    store = router._keeper._store
    assert await store.get("a") is None
    assert await store.get("c") is not None
    await asyncio.sleep(1.1)
    assert await store.get("c") is None


async def test_unconfigured_models_never_become_labels(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    registry = CollectorRegistry()
    orchestrator.mode = "empty"
    await make_router(registry=registry).decide(req(CODE, model="openai/made-up-by-client"))
    labels = {"route": "llm", "selected_model": "other", "fallback": "true"}
    assert registry.get_sample_value("brightstaff_router_decisions_total", labels) == 1


async def test_a_routing_span_carries_the_decision(
    make_router: RouterFactory, req: RequestFactory
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    router = make_router(tracer=provider.get_tracer("plano(routing)"))
    await router.decide(req(CODE, headers={"x-model-affinity": "traced"}))
    (span,) = exporter.get_finished_spans()
    assert span.name == "routing"
    attributes = dict(span.attributes or {})
    assert attributes["route.selected_model"] == "openai/gpt-4o"
    assert attributes["plano.route.name"] == "code generation"
    assert attributes["plano.session_id"] == "traced"
    assert attributes["model.requested"] == "openai/gpt-4o-mini"
    assert isinstance(attributes["routing.determination_ms"], float)


def test_router_settings_from_the_config(load_config: Callable[..., PlanoConfig]) -> None:
    assert router_settings(load_config()).timeout_seconds == 2.0
    tuned = router_settings(
        load_config(
            "routing: {orchestrator_timeout: 750ms, route_on_user_only: true,"
            " session_cache: {tenant_header: X-Tenant}}\n"
            "overrides: {orchestrator_model_context_length: 4096}"
        )
    )
    assert (tuned.timeout_seconds, tuned.context_length) == (0.75, 4096)
    assert (tuned.route_on_user_only, tuned.tenant_header) == (True, "x-tenant")
    assert [p.name for p in tuned.preferences] == ["code generation", "image generation"]


async def test_the_tenant_scopes_the_session_key(
    make_router: RouterFactory, req: RequestFactory
) -> None:
    router = make_router("routing: {session_cache: {tenant_header: x-tenant}}")
    headers = {"x-model-affinity": "s" * 1000, "x-tenant": "acme"}
    decision = await router.decide(req(CODE, headers=headers))
    assert decision.session_id == "s" * 256
    assert await router._keeper._store.get("acme:" + "s" * 256) is not None


def test_the_switch_spend_header_overrides_the_budget() -> None:
    base = RoutingBudget(max_switch_spend_pct=10, cache_read_discount=0.2)
    assert budget_for(base, {}) is base
    assert budget_for(base, {SWITCH_SPEND_HEADER: "25"}) == RoutingBudget(
        max_switch_spend_pct=25, cache_read_discount=0.2
    )
    assert budget_for(None, {SWITCH_SPEND_HEADER: "5"}) == RoutingBudget(max_switch_spend_pct=5)
    for bad in ("101", "-1", "nan", "lots", "1" * 40):
        assert budget_for(base, {SWITCH_SPEND_HEADER: bad}) is base
    assert budget_for(None, {}) is None


async def test_a_failing_orchestrator_keeps_the_sessions_model(
    make_router: RouterFactory, req: RequestFactory, orchestrator: FakeOrchestrator
) -> None:
    router = make_router("routing: {route_on_user_only: true}")
    messages = [{"role": "system", "content": "agent"}, {"role": "user", "content": CODE}]
    assert (await router.decide(req(messages))).models[0] == "openai/gpt-4o"
    orchestrator.mode = "error"
    messages += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": IMAGE}]
    decision = await router.decide(req(messages))
    assert (decision.models[0], decision.route) == ("openai/gpt-4o", "code generation")
    assert (decision.pinned, decision.switched) == (True, False)
