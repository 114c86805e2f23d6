"""Shared by the order tests: a simulator on a ManualClock, clients, and a way to move time deterministically.

Time moves only when a test says so: `Market.advance` moves the clock, runs one simulator step at the new
time and hands its messages to the clients, then waits for a reqCurrentTime round trip, which arrives after
everything sent before it (one TCP stream), so the client has seen the step's messages. The server's own
timer also steps every 0.25 s, but with the clock standing still those steps find nothing new.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ib_async import IB, Contract, Stock

from ibbot.clock import ManualClock
from ibbot.sim.market.feed import Quote
from ibbot.sim.server import SimServer
from ibbot.testing import running_simulator

START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York: regular hours
AAPL = 265598


@dataclass
class Client:
    ib: IB
    errors: list[tuple[int, int, str]] = field(default_factory=list)

    def codes(self, req_id: int | None = None) -> list[int]:
        return [code for rid, code, _ in self.errors if req_id is None or rid == req_id]


@dataclass
class Market:
    server: SimServer
    clock: ManualClock
    clients: list[Client] = field(default_factory=list)

    def quote(self, con_id: int = AAPL) -> Quote:
        """The live quote of `con_id` now (read from the simulator, as a market-data line would see it)."""
        prices = self.server.sim.prices
        prices.subscribe(con_id, self.clock.now())
        try:
            return prices.quote(con_id)
        finally:
            prices.unsubscribe(con_id)

    def ahead(self, seconds: int = 1800, con_id: int = AAPL) -> tuple[float, float, float, float]:
        """Where the market goes in the next `seconds` (read from the deterministic path, as a test may):
        (lowest ask, highest bid, lowest last, highest last). A test picks levels the market will reach
        from these instead of hoping a few cents' move happens within its steps."""
        path = self.server.sim.prices.path(con_id)
        start = int(self.clock.now().timestamp())
        asks, bids, lasts = [], [], []
        for mi in range(start // 60, (start + seconds) // 60 + 1):
            minute = path.minute(mi)
            asks.append(min(minute.ask[:60]))
            bids.append(max(minute.bid[:60]))
            lasts += [min(minute.last), max(minute.last)]
        price = path.price
        return price(min(asks)), price(max(bids)), price(min(lasts)), price(max(lasts))

    def resting_limit(self, seconds: int = 1800, con_id: int = AAPL) -> tuple[str, float]:
        """(action, limit) of a limit order that rests now and fills within `seconds`: a buy below the bid if
        the market comes down, else a sell above the ask (it goes up)."""
        low_ask, high_bid, *_ = self.ahead(seconds, con_id)
        quote = self.quote(con_id)
        if low_ask < quote.bid - 0.01:
            return "BUY", round((low_ask + quote.bid) / 2, 2)
        assert high_bid > quote.ask + 0.01, "the market neither comes down nor goes up"
        return "SELL", round((quote.ask + high_bid) / 2, 2)

    def touched_level(self, seconds: int = 1800, con_id: int = AAPL) -> tuple[str, float]:
        """("down", level) or ("up", level): a last price the market trades through within `seconds`."""
        *_, low, high = self.ahead(seconds, con_id)
        last = self.last(con_id)
        if low < last - 0.02:
            return "down", round((low + last) / 2, 2)
        assert high > last + 0.02, "the market neither comes down nor goes up"
        return "up", round((high + last) / 2, 2)

    def last(self, con_id: int = AAPL) -> float:
        """The last trade price of `con_id` now."""
        last = self.quote(con_id).last
        assert last is not None
        return last

    async def connect(self, client_id: int = 1) -> Client:
        ib = IB()
        client = Client(ib)
        ib.errorEvent += lambda req_id, code, text, contract: client.errors.append((req_id, code, text))
        await ib.connectAsync("127.0.0.1", self.server.port, clientId=client_id, timeout=5)
        self.clients.append(client)
        return client

    async def sync(self, client: Client) -> None:
        """Wait until `client` has read everything the simulator sent it so far."""
        await client.ib.reqCurrentTimeAsync()

    def step(self, seconds: float = 1.0) -> bool:
        """Move the clock and run one simulator step at the new time (its messages go out at once); whether it
        sent anything."""
        self.clock.advance(seconds)
        out = self.server.sim.step(self.clock.now())
        self.server.deliver(out)
        return bool(out)

    async def advance(self, client: Client, seconds: float = 1.0) -> None:
        self.step(seconds)
        await self.sync(client)

    async def run_until(
        self,
        client: Client,
        condition: Callable[[], bool],
        *,
        seconds: float = 1.0,
        limit: int = 900,
        skip_silent: bool = False,
    ) -> int:
        """Advance `seconds` at a time until `condition` holds; how many steps it took. What the client sent
        before is handled first, at the time it was sent (not after the first advance).

        `skip_silent`: wait for the client only after a step that sent something. A condition on what the
        client received cannot change over a silent step, and each round trip costs ~22 ms once ib_async's
        own throttle (45 requests/s) sets in, so a wait of 800 quiet seconds drops from 18 s to tens of ms.
        Every second is still stepped: the market is matched exactly as without it."""
        await self.sync(client)
        for taken in range(limit):
            if condition():
                return taken
            if self.step(seconds) or not skip_silent:
                await self.sync(client)
        raise AssertionError(f"condition not met after {limit} steps of {seconds} s")


@asynccontextmanager
async def market(start: datetime = START, **settings: Any) -> AsyncIterator[Market]:
    clock = ManualClock(start)
    async with running_simulator(clock=clock, **settings) as server:
        m = Market(server, clock)
        try:
            yield m
        finally:
            for client in m.clients:
                client.ib.disconnect()


async def qualified(client: Client, contract: Contract | None = None) -> Contract:
    (found,) = await client.ib.qualifyContractsAsync(contract or Stock("AAPL", "SMART", "USD"))
    assert isinstance(found, Contract)
    return found
