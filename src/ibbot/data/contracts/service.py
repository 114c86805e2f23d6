"""The contract service: qualify a description (the persistent cache first, IB second) and fetch option chains.

`qualify` looks the description's key up in the `ContractCache`; an entry older than the cache's age limit, or a
future or option whose expiry has passed, is asked again. Otherwise it asks the `ContractSource` (the broker
adapter, behind the governor) with the query `qualify.query_for` builds and lets `qualify.choose` pick the one
answer. An option is first checked against its underlying's chain (reqSecDefOptParams), so a strike or expiry
that is not listed fails with what is near it instead of a bare "no such contract". The result is stored under
the description's key and under its con_id, so a later `Instrument(con_id=...)` is a cache hit too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from ibbot.data.contracts.cache import ContractCache
from ibbot.data.contracts.chain import ChainParams, OptionChain, not_listed
from ibbot.data.contracts.qualify import choose, local_date, query_for
from ibbot.model import AssetClass, Instrument

_OPTIONS = (AssetClass.OPTION, AssetClass.FUTURE_OPTION)


class ContractSource(Protocol):
    """What the contract service needs of IB: two methods of `ibbot.broker.Broker` (behind the governor)."""

    async def contract_details(self, instrument: Instrument) -> list[Instrument]:
        """reqContractDetails: every contract matching the description, qualified (hours parsed into sessions)."""
        ...

    async def option_params(self, underlying: Instrument) -> Sequence[ChainParams]:
        """reqSecDefOptParams for a qualified underlying: one entry per exchange and trading class."""
        ...


def expired(instrument: Instrument, now: datetime) -> bool:
    """A future or option past its last trade date at `now` (in its exchange's zone)."""
    return instrument.expiry is not None and instrument.expiry < local_date(now, instrument)


class ContractService:
    """Qualification and chains, cache first (module doc)."""

    def __init__(self, source: ContractSource, cache: ContractCache, now_fn: Callable[[], datetime]) -> None:
        self._source = source
        self._cache = cache
        self._now = now_fn
        self._chains: dict[str, tuple[OptionChain, datetime]] = {}  # by underlying key, with when it was asked

    async def qualify(self, instrument: Instrument, *, underlying: Instrument | None = None) -> Instrument:
        """The one qualified contract `instrument` describes; ContractError when none or several match.

        An option is checked against the chain of `underlying` (default: the stock of the same symbol and
        currency; pass `Instrument.index("SPX")` for index options).
        """
        now = self._now()
        key = instrument.key
        cached = self._cache.get(key, now)
        if cached is not None and not expired(cached, now):
            return cached
        if instrument.asset_class in _OPTIONS and not instrument.con_id:
            chain = await self.chain(underlying or Instrument.stock(instrument.symbol, currency=instrument.currency))
            if not chain.lists(instrument):
                raise not_listed(chain, instrument.expiry, instrument.strike, instrument.exchange)
        chosen = choose(instrument, await self._source.contract_details(query_for(instrument)), now)
        self._cache.put(key, chosen, now)
        self._cache.put(chosen.key, chosen, now)
        return chosen

    async def chain(self, underlying: Instrument) -> OptionChain:
        """The option chain of `underlying` (qualified first), kept in memory for the cache's age limit."""
        now = self._now()
        qualified = await self.qualify(underlying)
        kept = self._chains.get(qualified.key)
        if kept is not None and now - kept[1] < self._cache.max_age:
            return kept[0]
        chain = OptionChain(underlying=qualified, params=tuple(await self._source.option_params(qualified)))
        self._chains[qualified.key] = (chain, now)
        return chain
