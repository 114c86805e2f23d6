"""Shared by the option tests: a simulator whose clock runs fast (a bot waits for fills as it would on TWS), one
ib_async client, a moment when an index ETF trades far from its reference price, and the steps an
options-selling bot takes with ib_async (chain, delta, open interest)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ib_async import IB, Contract, Option, Ticker

from ibbot.clock import ManualClock
from ibbot.protocol.types import Contract as ProtocolContract
from ibbot.sim.config import SimConfig
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.expiries import close_before, listing_day
from ibbot.sim.market.listing import ListingSpots
from ibbot.sim.server import SimServer

ETFS = ("SPY", "QQQ", "IWM")


@dataclass
class Session:
    server: SimServer
    clock: ManualClock
    ib: IB
    errors: list[tuple[int, int, str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def pumping(clock: ManualClock, seconds: float = 2.0, every: float = 0.02) -> AsyncIterator[None]:
    """The clock moves `seconds` every `every` of wall time (100x by default) while the block runs."""

    async def advance() -> None:
        while True:
            await asyncio.sleep(every)
            clock.advance(seconds)

    task = asyncio.create_task(advance())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def session(
    start: datetime, *, state: Path | None = None, client_id: int = 1, clock: ManualClock | None = None
) -> AsyncIterator[Session]:
    """A simulator at `start` (its state in `state`, else in memory) and one connected ib_async client."""
    clock = clock or ManualClock(start)
    config = replace(SimConfig(), host="127.0.0.1", port=0, tick_interval=0.05, ephemeral=state is None)
    if state is not None:
        config = replace(config, state_path=state)
    async with SimServer(config, clock=clock) as server:
        ib = IB()
        found = Session(server, clock, ib)
        ib.errorEvent += lambda req_id, code, text, contract: found.errors.append((req_id, code, text))
        await ib.connectAsync("127.0.0.1", server.port, clientId=client_id, timeout=10)
        try:
            yield found
        finally:
            ib.disconnect()
        assert not server.failures, server.failures


def far_from_reference(seed: int = 1) -> tuple[datetime, str, float]:
    """(a Wednesday 10:30 New York, the ETF, its close / reference) where an index ETF's price is furthest from
    its reference price, over four years of months: the chains must follow the live price there."""
    master = build_security_master(datetime(2026, 1, 7, 15, 30, tzinfo=UTC))
    spots = ListingSpots(seed)
    best: tuple[float, datetime, str, float] | None = None
    for month in range(48):
        first = datetime(2025 + month // 12, month % 12 + 1, 1, 15, 30, tzinfo=UTC)
        wednesday = first + timedelta(days=(2 - first.weekday()) % 7 + 7)
        for symbol in ETFS:
            (under,) = master.match(ProtocolContract(symbol=symbol, sec_type="STK", exchange="SMART"))
            ratio = spots(under, close_before(listing_day(wednesday))) / under.reference_price
            if best is None or abs(math.log(ratio)) > best[0]:
                best = (abs(math.log(ratio)), wednesday, symbol, ratio)
    assert best is not None
    return best[1], best[2], best[3]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def priced(value: float | None) -> bool:
    return value is not None and not math.isnan(value) and value > 0


async def price_of(ib: IB, contract: Contract) -> float:
    (ticker,) = await asyncio.wait_for(ib.reqTickersAsync(contract), 10)
    price = ticker.marketPrice()
    assert priced(price), ticker
    return float(price)


async def strikes_of(ib: IB, symbol: str, expiry: str, right: str) -> list[float]:
    """An expiry's own strikes of one right, as reqContractDetails lists them."""
    details = await ib.reqContractDetailsAsync(Option(symbol, expiry, right=right, exchange="SMART"))
    return sorted(d.contract.strike for d in details if d.contract is not None)


def expiry_near(expirations: list[str], today: datetime, days: int) -> str:
    """The listed expiry closest to `days` calendar days out."""
    target = today.date() + timedelta(days=days)
    return min(expirations, key=lambda e: abs((datetime.strptime(e, "%Y%m%d").date() - target).days))


async def put_by_delta(ib: IB, symbol: str, expiry: str, spot: float, target: float = 0.30) -> tuple[Option, Ticker]:
    """The out-of-the-money put whose model delta is nearest `target`, as a bot scans the chain's greeks: the
    strikes on multiples of 5 within 15 % below the money (ib_async paces its requests at 45 a second)."""
    strikes = [k for k in await strikes_of(ib, symbol, expiry, "P") if spot * 0.85 < k < spot and k % 5 == 0]
    assert strikes, (symbol, expiry, spot)
    puts = await ib.qualifyContractsAsync(*[Option(symbol, expiry, k, "P", "SMART") for k in strikes])
    tickers = [ib.reqMktData(p) for p in puts]
    try:
        await until(lambda: all(t.modelGreeks is not None and t.modelGreeks.delta is not None for t in tickers))
        best = min(tickers, key=lambda t: abs(abs(t.modelGreeks.delta) - target))
    finally:
        for p in puts:
            ib.cancelMktData(p)
    assert isinstance(best.contract, Option)
    return best.contract, best


async def open_interest(ib: IB, contract: Contract) -> float:
    """Tick 101 on one contract: its open interest (a put's in putOpenInterest, a call's in callOpenInterest)."""
    ticker = ib.reqMktData(contract, "100,101,105")
    field_name = "putOpenInterest" if getattr(contract, "right", "") == "P" else "callOpenInterest"
    try:
        await until(lambda: not math.isnan(getattr(ticker, field_name)))
        return float(getattr(ticker, field_name))
    finally:
        ib.cancelMktData(contract)
