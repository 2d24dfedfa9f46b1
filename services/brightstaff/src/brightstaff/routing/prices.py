"""Model prices (USD per million tokens) from the cost sources of ``model_metrics_sources``.

Two catalog formats are read: models.dev (``{provider: {models: {id: {cost: {input, output,
cache_read}}}}}``) and DigitalOcean's model catalog (``{data: [{model_id, pricing: {...}}]}``,
prices per token). Prices are fetched at startup and every ``refresh_interval`` seconds in the
background; a failed fetch keeps the previous prices. Lookups never do I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
import msgspec

from plano_common.config.document import CostMetricsEntry

__all__ = ["ModelRates", "PriceBook", "parse_digitalocean", "parse_models_dev"]

logger = logging.getLogger(__name__)

DEFAULT_URLS: Final = {
    "models.dev": "https://models.dev/api.json",
    "digitalocean": "https://api.digitalocean.com/v2/gen-ai/models/catalog",
}
MAX_CATALOG_BYTES: Final = 32 * 1024 * 1024
FETCH_TIMEOUT_SECONDS: Final = 10.0
PER_MILLION: Final = 1_000_000.0


@dataclass(frozen=True, slots=True)
class ModelRates:
    """Prices of one model in USD per million tokens."""

    input: float
    output: float
    cache_read: float | None = None

    @property
    def blended(self) -> float:
        """Input plus output price: what ``prefer: cheapest`` sorts by."""
        return self.input + self.output

    def cached_input(self, cache_read_discount: float) -> float:
        """The price of a cached input token (the catalog's, else input x discount)."""
        return self.cache_read if self.cache_read is not None else self.input * cache_read_discount


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def parse_models_dev(raw: Any, aliases: Mapping[str, str]) -> dict[str, ModelRates]:
    """Rates keyed by ``provider/model`` (or its alias) and by the bare model id."""
    rates: dict[str, ModelRates] = {}
    if not isinstance(raw, dict):
        return rates
    for provider_id, provider in raw.items():
        models = provider.get("models") if isinstance(provider, dict) else None
        if not isinstance(models, dict):
            continue
        for model_id, model in models.items():
            cost = model.get("cost") if isinstance(model, dict) else None
            if not isinstance(cost, dict):
                continue
            given, taken = _number(cost.get("input")), _number(cost.get("output"))
            if given is None or taken is None:
                continue
            entry = ModelRates(given, taken, _number(cost.get("cache_read")))
            key = f"{provider_id}/{model_id}"
            rates[aliases.get(key, key)] = entry
            rates.setdefault(model_id, entry)
    return rates


def parse_digitalocean(raw: Any, aliases: Mapping[str, str]) -> dict[str, ModelRates]:
    """Rates keyed by the catalog's ``model_id`` (or its alias)."""
    rates: dict[str, ModelRates] = {}
    data = raw.get("data") if isinstance(raw, dict) else None
    for model in data if isinstance(data, list) else []:
        pricing = model.get("pricing") if isinstance(model, dict) else None
        model_id = model.get("model_id") if isinstance(model, dict) else None
        if not isinstance(pricing, dict) or not isinstance(model_id, str):
            continue
        cache = _number(pricing.get("cache_read_input_price_per_million"))
        cache = cache if cache is not None else _number(pricing.get("input_cache_read"))
        rates[aliases.get(model_id, model_id)] = ModelRates(
            (_number(pricing.get("input_price_per_million")) or 0.0) * PER_MILLION,
            (_number(pricing.get("output_price_per_million")) or 0.0) * PER_MILLION,
            None if cache is None else cache * PER_MILLION,
        )
    return rates


class PriceBook:
    """The current prices; `start` loads them and schedules refreshes."""

    def __init__(
        self,
        sources: Sequence[CostMetricsEntry] = (),
        rates: Mapping[str, ModelRates] | None = None,
    ) -> None:
        self._sources = tuple(sources)
        self._rates: dict[str, ModelRates] = dict(rates or {})
        self._tasks: list[asyncio.Task[None]] = []

    def rates(self, model: str) -> ModelRates | None:
        """Rates of ``provider/model`` or, failing that, of the bare model id."""
        found = self._rates.get(model)
        if found is None and "/" in model:
            found = self._rates.get(model.split("/", 1)[1])
        return found

    def blended(self, model: str) -> float | None:
        """The input+output price of a model, None when unknown."""
        found = self.rates(model)
        return None if found is None else found.blended

    async def start(self) -> None:
        """Fetch every source once, then refresh those with a ``refresh_interval``."""
        for source in self._sources:
            await self._load(source)
            if source.refresh_interval:
                self._tasks.append(asyncio.create_task(self._refresh(source)))

    async def close(self) -> None:
        """Stop the refreshes."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _refresh(self, source: CostMetricsEntry) -> None:
        assert source.refresh_interval is not None
        while True:
            await asyncio.sleep(source.refresh_interval)
            await self._load(source)

    async def _load(self, source: CostMetricsEntry) -> None:
        url = source.url or DEFAULT_URLS[source.provider]
        try:
            raw = await _fetch_json(url)
        except (aiohttp.ClientError, TimeoutError, ValueError, msgspec.DecodeError) as exc:
            logger.warning("cost source %s not loaded: %s", source.provider, exc)
            return
        aliases = source.model_aliases or {}
        parse = parse_models_dev if source.provider == "models.dev" else parse_digitalocean
        loaded = await asyncio.to_thread(parse, raw, aliases)
        self._rates.update(loaded)
        logger.info("cost source %s: %d model prices", source.provider, len(loaded))


async def _fetch_json(url: str) -> Any:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > MAX_CATALOG_BYTES:
                raise ValueError("cost catalog larger than 32 MiB")
    return await asyncio.to_thread(msgspec.json.decode, bytes(body))
