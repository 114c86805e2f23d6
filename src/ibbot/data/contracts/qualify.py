"""Qualification rules: a person's description -> the reqContractDetails query, and IB's answers -> one contract.

Theory of operation
-------------------
`query_for` says what to ask IB: the description itself, except that a future is asked for without its expiry
(IB then lists every month, and the month or the front month is picked here, where `now` is a parameter). A
stock or ETF is asked on SMART with its primary exchange when one is named. `choose` filters IB's answers with
the rule of the asset class (`PICKERS`) and demands exactly one: none is `ContractError` "no such contract",
several is `ContractError` with `candidates` (their descriptions in the message, so the person can pick).

- stock / ETF: the primary exchange, when named, must match (SMART-routed answers carry it);
- future: by month, any day of `expiry` names its month; without one, the front month: the nearest expiry not
  yet past at `now` in the exchange's zone (a future still trades on its last trade date);
- option: expiry, strike and right must match, and the trading class when one is named;
- forex, index, and anything described by con_id: what IB answers for the query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.errors import ContractError
from ibbot.model import AssetClass, Instrument

Picker = Callable[[Instrument, list[Instrument], datetime], list[Instrument]]


def query_for(instrument: Instrument) -> Instrument:
    """The description sent to IB for `instrument` (module doc)."""
    if instrument.con_id:
        return instrument
    if instrument.asset_class is AssetClass.FUTURE:
        return instrument.with_details(expiry=None)
    if instrument.asset_class in (AssetClass.STOCK, AssetClass.ETF) and not instrument.exchange:
        return instrument.with_details(exchange="SMART")
    return instrument


def local_date(now: datetime, instrument: Instrument) -> date:
    """The date at `now` where the instrument trades (UTC when its zone is unknown)."""
    try:
        zone = ZoneInfo(instrument.time_zone) if instrument.time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zone = UTC
    return now.astimezone(zone).date()


def _same(a: str, b: str) -> bool:
    return a.upper() == b.upper()


def _stock(wanted: Instrument, found: list[Instrument], now: datetime) -> list[Instrument]:
    if not wanted.primary_exchange:
        return found
    return [c for c in found if _same(c.primary_exchange, wanted.primary_exchange)]


def _future(wanted: Instrument, found: list[Instrument], now: datetime) -> list[Instrument]:
    dated = [c for c in found if c.expiry is not None]
    if wanted.expiry is not None:
        month = (wanted.expiry.year, wanted.expiry.month)
        return [c for c in dated if c.expiry is not None and (c.expiry.year, c.expiry.month) == month]
    live = [c for c in dated if c.expiry is not None and c.expiry >= local_date(now, c)]
    if not live:
        return []
    front = min(c.expiry for c in live if c.expiry is not None)
    return [c for c in live if c.expiry == front]


def _option(wanted: Instrument, found: list[Instrument], now: datetime) -> list[Instrument]:
    return [
        c
        for c in found
        if (wanted.expiry is None or c.expiry == wanted.expiry)
        and (wanted.strike is None or c.strike == wanted.strike)
        and (wanted.right is None or c.right is wanted.right)
        and (not wanted.trading_class or _same(c.trading_class, wanted.trading_class))
    ]


def _as_answered(wanted: Instrument, found: list[Instrument], now: datetime) -> list[Instrument]:
    return found


PICKERS: dict[AssetClass, Picker] = {
    AssetClass.STOCK: _stock,
    AssetClass.ETF: _stock,
    AssetClass.FUTURE: _future,
    AssetClass.OPTION: _option,
    AssetClass.FUTURE_OPTION: _option,
    AssetClass.FOREX: _as_answered,
    AssetClass.INDEX: _as_answered,
}


def describe(instrument: Instrument) -> str:
    """One candidate as a person reads it: what, where, and its con_id."""
    where = instrument.primary_exchange or instrument.exchange
    extra = (
        f" {instrument.local_symbol}" if instrument.local_symbol and instrument.local_symbol != str(instrument) else ""
    )
    con_id = f" conId={instrument.con_id}" if instrument.con_id else ""
    return f"{instrument}{extra} {instrument.asset_class.sec_type} {where} {instrument.currency}{con_id}"


def choose(wanted: Instrument, candidates: Sequence[Instrument], now: datetime) -> Instrument:
    """The one contract among IB's answers that the description means (module doc), or ContractError."""
    found = list(candidates)
    if wanted.con_id:
        found = [c for c in found if c.con_id == wanted.con_id]
    else:
        found = PICKERS[wanted.asset_class](wanted, found, now)
    unique = list({c.con_id: c for c in found}.values())  # IB may list one contract once per exchange
    if not unique:
        raise ContractError(f"no such contract: {describe(wanted)}")
    if len(unique) > 1:
        listed = "; ".join(describe(c) for c in unique)
        raise ContractError(
            f"ambiguous contract {describe(wanted)}: {len(unique)} match: {listed}", candidates=tuple(unique)
        )
    (chosen,) = unique
    if wanted.asset_class is AssetClass.ETF and chosen.asset_class is AssetClass.STOCK:
        chosen = chosen.with_details(asset_class=AssetClass.ETF)  # on the wire an ETF is a STK
    return chosen
