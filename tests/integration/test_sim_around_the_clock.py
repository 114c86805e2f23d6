"""At 03:00 New York time, around the clock (exchange_hours = false, the default), a liquid stock's quotes change
several times a second and trades print, as in a regular session (before: about once a second, Last silent)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from ib_async import IB, Stock, Ticker

from ibbot.clock import OffsetClock
from ibbot.testing import running_simulator

from .support import until

THREE_AM = dt.datetime(2026, 11, 18, 3, 0, tzinfo=ZoneInfo("US/Eastern"))  # a Wednesday night


async def test_at_three_in_the_morning_quotes_move_several_times_a_second_and_trades_print() -> None:
    async with running_simulator(clock=OffsetClock(THREE_AM)) as sim:  # real pace: the server's 250 ms steps
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        loop = asyncio.get_running_loop()
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        ticker = ib.reqMktData(aapl)
        quotes: list[tuple[float, float, float, float, float]] = []  # (arrival, bid, bid size, ask, ask size)

        def on_update(t: Ticker) -> None:
            top = (t.bid, t.bidSize, t.ask, t.askSize)
            if t.bid == t.bid and (not quotes or quotes[-1][1:] != top):
                quotes.append((loop.time(), *top))

        ticker.updateEvent += on_update
        await until(lambda: len(quotes) >= 13, timeout=15)
        volume = ticker.volume
        await until(lambda: ticker.volume > volume and ticker.lastSize > 0, timeout=10)  # trades print
        span = quotes[12][0] - quotes[0][0]
        assert span < 12 / 2  # twelve changes in less than six seconds: more than two a second (about four)
        ib.disconnect()
