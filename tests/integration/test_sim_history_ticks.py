"""reqHistoricalTicks as ib_async 2.1.0 sees it: trades, bid/ask and midpoints, from a start or up to an end."""

from __future__ import annotations

import datetime as dt

from ib_async import Forex, HistoricalTick, HistoricalTickBidAsk, HistoricalTickLast

from .test_sim_history import AFTER_CLOSE, aapl, connected

OPEN = dt.datetime(2024, 3, 12, 13, 30, tzinfo=dt.UTC)  # 09:30 in New York
CLOSE = dt.datetime(2024, 3, 12, 20, 0, tzinfo=dt.UTC)


async def test_trades_up_to_the_end_of_the_session() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        ticks = await ib.reqHistoricalTicksAsync(aapl(), "", "", 100, "TRADES", True)
        assert len(ticks) >= 100 and all(isinstance(t, HistoricalTickLast) for t in ticks)
        times = [t.time for t in ticks]
        assert times == sorted(times) and times[-1] <= CLOSE and times[0] > CLOSE - dt.timedelta(minutes=30)
        assert all(t.price > 0 and t.size > 0 and t.exchange == "NASDAQ" for t in ticks)
        same = await ib.reqHistoricalTicksAsync(aapl(), "", "", 100, "TRADES", True)
        assert same == []  # an identical request within 15 s: pacing (162)
        assert errors[-1][1] == 162
        assert errors[-1][2].endswith("Historical data request pacing violation")


async def test_bid_ask_from_a_start_and_midpoints_up_to_an_end() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        quotes = await ib.reqHistoricalTicksAsync(aapl(), OPEN, "", 1000, "BID_ASK", True)
        assert len(quotes) >= 1000 and all(isinstance(q, HistoricalTickBidAsk) for q in quotes)
        assert quotes[0].time >= OPEN
        assert all(0 < q.priceBid < q.priceAsk and q.sizeBid > 0 for q in quotes)
        end = "20240312 10:00:00 US/Eastern"
        mids = await ib.reqHistoricalTicksAsync(aapl(), "", end, 50, "MIDPOINT", True)
        assert len(mids) >= 50 and all(isinstance(m, HistoricalTick) for m in mids)
        assert mids[-1].time <= dt.datetime(2024, 3, 12, 14, 0, tzinfo=dt.UTC)
        assert all(m.size == 0 for m in mids)
        assert errors == []


async def test_forex_has_quotes_and_no_trades() -> None:
    async with connected(AFTER_CLOSE) as (_sim, ib, errors, _clock):
        eur = Forex("EURUSD")
        assert await ib.reqHistoricalTicksAsync(eur, "", "", 10, "TRADES", False) == []
        mids = await ib.reqHistoricalTicksAsync(eur, "", "", 10, "MIDPOINT", False)
        assert len(mids) >= 10 and mids[-1].time <= AFTER_CLOSE
        assert errors == []
