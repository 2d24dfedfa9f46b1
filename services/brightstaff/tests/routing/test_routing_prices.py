"""Model prices from the cost sources."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from brightstaff.routing.prices import ModelRates, PriceBook, parse_digitalocean, parse_models_dev
from plano_common.config.document import CostMetricsEntry

MODELS_DEV = {
    "openai": {
        "models": {
            "gpt-4o": {"cost": {"input": 2.5, "output": 10, "cache_read": 1.25}},
            "free-thing": {"cost": {"input": 0}},
        }
    },
    "anthropic": {"models": {"claude-sonnet-4-6": {"cost": {"input": 3, "output": 15}}}},
    "broken": "not a provider",
}
DIGITALOCEAN = {
    "data": [
        {
            "model_id": "openai-gpt-4o",
            "pricing": {"input_price_per_million": 2.5e-6, "output_price_per_million": 1e-5},
        },
        {"model_id": "no-pricing"},
    ]
}


def test_models_dev_prices() -> None:
    rates = parse_models_dev(MODELS_DEV, {"anthropic/claude-sonnet-4-6": "sonnet"})
    assert rates["openai/gpt-4o"] == ModelRates(2.5, 10.0, 1.25)
    assert rates["gpt-4o"] == ModelRates(2.5, 10.0, 1.25)
    assert rates["sonnet"] == ModelRates(3.0, 15.0)
    assert "openai/free-thing" not in rates


def test_digitalocean_prices_are_per_token() -> None:
    rates = parse_digitalocean(DIGITALOCEAN, {})
    assert rates["openai-gpt-4o"].input == pytest.approx(2.5)
    assert rates["openai-gpt-4o"].output == pytest.approx(10.0)
    assert "no-pricing" not in rates


def test_lookup_falls_back_to_the_bare_model_id() -> None:
    book = PriceBook(rates={"gpt-4o": ModelRates(2.5, 10.0)})
    assert book.blended("openai/gpt-4o") == 12.5
    assert book.blended("openai/unknown") is None
    assert ModelRates(2.0, 1.0).cached_input(0.1) == pytest.approx(0.2)
    assert ModelRates(2.0, 1.0, 0.5).cached_input(0.1) == 0.5


@pytest.fixture
async def catalog_url() -> AsyncIterator[str]:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(MODELS_DEV), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api.json", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/api.json"
    await runner.cleanup()


async def test_a_source_is_fetched_at_start(catalog_url: str) -> None:
    book = PriceBook([CostMetricsEntry(provider="models.dev", url=catalog_url)])
    await book.start()
    assert book.blended("anthropic/claude-sonnet-4-6") == 18.0
    await book.close()


async def test_an_unreachable_source_leaves_no_prices() -> None:
    book = PriceBook([CostMetricsEntry(provider="models.dev", url="http://127.0.0.1:9/x")])
    await book.start()
    assert book.blended("gpt-4o") is None
    await book.close()
