"""Session affinity and latency shared through Redis (a private server per test)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable

import redis
from prometheus_client import CollectorRegistry

from brightstaff.routing.router import PreferenceRouter
from brightstaff.routing.store import REDIS_KEY_PREFIX, RedisBindingStore, SessionBinding
from brightstaff.seams import LlmRequest
from plano_common.config.types import RoutingPreference
from plano_testkit.orchestrator import FakeOrchestrator

RouterFactory = Callable[..., PreferenceRouter]
RequestFactory = Callable[..., LlmRequest]
CODE = "please write a python function for fibonacci code"
IMAGE = "draw pictures of a cat"
SONNET = "anthropic/claude-sonnet-4-6"


def _redis_config(url: str) -> str:
    return f"routing: {{session_cache: {{type: redis, url: '{url}'}}}}"


async def test_two_routers_sharing_redis_agree_on_a_session(
    make_router: RouterFactory,
    req: RequestFactory,
    orchestrator: FakeOrchestrator,
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = private_redis
    first, second = make_router(_redis_config(url)), make_router(_redis_config(url))
    headers = {"x-model-affinity": "shared-session"}
    decided = await first.decide(req(CODE, headers=headers))
    assert decided.models[0] == "openai/gpt-4o"
    raw = redis.Redis.from_url(url).get(REDIS_KEY_PREFIX + "shared-session")
    assert raw is not None
    ttl = redis.Redis.from_url(url).ttl(REDIS_KEY_PREFIX + "shared-session")
    assert 0 < ttl <= 600
    follow = await second.decide(req(IMAGE, headers=headers))
    assert (follow.models[0], follow.pinned, follow.switched) == ("openai/gpt-4o", True, False)
    assert len(orchestrator.prompts) == 1
    for router in (first, second):
        await router.close()


async def test_redis_stopped_requests_are_still_routed(
    make_router: RouterFactory,
    req: RequestFactory,
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = private_redis
    registry = CollectorRegistry()
    router = make_router(_redis_config(url), registry)
    headers = {"x-model-affinity": "s"}
    assert (await router.decide(req(CODE, headers=headers))).models[0] == "openai/gpt-4o"
    process.terminate()
    process.wait(10)
    for text, model in ((IMAGE, "openai/gpt-4o-mini"), (CODE, "openai/gpt-4o")):
        decision = await asyncio.wait_for(router.decide(req(text, headers=headers)), 5)
        assert decision.models[0] == model
        assert decision.pinned is False
    errors = registry.get_sample_value(
        "brightstaff_session_cache_events_total", {"outcome": "error"}
    )
    assert errors is not None and errors >= 1
    await router.close()


async def test_latency_is_shared_through_redis(
    make_router: RouterFactory, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, _ = private_redis
    writer, reader = make_router(_redis_config(url)), make_router(_redis_config(url))
    writer.record_latency(SONNET, 0.2)
    writer.record_latency("openai/gpt-4o", 1.5)
    await writer._latency.close()
    base = reader.settings.preferences[0]
    fastest = RoutingPreference(
        name=base.name, description=base.description, models=base.models, prefer="fastest"
    )
    assert await reader._rank(fastest) == (SONNET, "openai/gpt-4o")
    for router in (writer, reader):
        await router.close()


async def test_a_binding_is_json(private_redis: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = private_redis
    store = RedisBindingStore(url)
    binding = SessionBinding(anchor_model="m", default_model="m", requested_model="r")
    await store.put("k", binding, 30)
    assert await store.get("k") == binding
    assert redis.Redis.from_url(url).get(REDIS_KEY_PREFIX + "k").startswith(b'{"anchor_model":"m"')
    await store.close()
