"""IB's historical pacing as an ib_async 2.1.0 client meets it, played on a ManualClock."""

from __future__ import annotations

import datetime as dt

from .test_sim_history import aapl, connected

MID_SESSION = dt.datetime(2024, 3, 12, 15, 0, 30, tzinfo=dt.UTC)
PACING = "Historical Market Data Service error message:Historical data request pacing violation"


async def test_identical_request_within_15_seconds_is_a_pacing_violation() -> None:
    async with connected(MID_SESSION) as (_sim, ib, errors, clock):
        first = await ib.reqHistoricalDataAsync(aapl(), "", "60 S", "1 secs", "TRADES", True)
        assert len(first) == 60
        clock.advance(14)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "60 S", "1 secs", "TRADES", True)) == 0
        assert errors[-1][1:] == (162, PACING)
        clock.advance(1)  # 15 s after the first: no longer "within" it
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "60 S", "1 secs", "TRADES", True)) == 60
        assert len(errors) == 1


async def test_six_requests_for_one_contract_within_two_seconds_and_bid_ask_counting_twice() -> None:
    async with connected(MID_SESSION) as (_sim, ib, errors, clock):
        for seconds in (60, 90, 120, 150, 180):
            assert await ib.reqHistoricalDataAsync(aapl(), "", f"{seconds} S", "5 secs", "TRADES", True)
        clock.advance(1.9)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "210 S", "5 secs", "TRADES", True)) == 0
        assert errors[-1][1:] == (162, PACING)
        clock.advance(0.1)  # two seconds after the first five
        assert await ib.reqHistoricalDataAsync(aapl(), "", "210 S", "5 secs", "TRADES", True)
        assert await ib.reqHistoricalDataAsync(aapl(), "", "60 S", "5 secs", "BID_ASK", True)
        assert await ib.reqHistoricalDataAsync(aapl(), "", "90 S", "5 secs", "BID_ASK", True)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "120 S", "5 secs", "BID_ASK", True)) == 0
        assert [code for _, code, _ in errors] == [162, 162]
        # Bars over 30 seconds are not paced at all.
        for seconds in (60, 120, 180, 240, 300, 360, 420):
            assert await ib.reqHistoricalDataAsync(aapl(), "", f"{seconds} S", "1 min", "TRADES", True)
        assert len(errors) == 2


async def test_more_than_60_requests_in_ten_minutes_then_allowed_again() -> None:
    async with connected(MID_SESSION) as (_sim, ib, errors, clock):
        for k in range(60):
            if k % 5 == 0:
                clock.advance(2.1)
            bars = await ib.reqHistoricalDataAsync(aapl(), "", f"{60 + 25 * k} S", "1 secs", "MIDPOINT", True)
            assert len(bars) == 60 + 25 * k
        clock.advance(2.1)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "1800 S", "30 secs", "TRADES", True)) == 0
        assert [code for _, code, _ in errors] == [162]
        clock.advance(600)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "1800 S", "30 secs", "TRADES", True)) == 60


async def test_at_most_50_historical_requests_open_at_once() -> None:
    async with connected(MID_SESSION) as (sim, ib, errors, clock):
        streams = []
        for k in range(50):
            if k % 20 == 0:
                clock.advance(1)  # the message-rate limit counts on this clock too
            streams.append(
                await ib.reqHistoricalDataAsync(aapl(), "", "1800 S", "1 min", "TRADES", True, keepUpToDate=True)
            )
        assert sim.sim.pacing.open_historical == 50
        clock.advance(1)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True)) == 0
        (_, code, text) = errors[-1]
        assert code == 322 and "Only 50 simultaneous API historical data requests allowed." in text
        ib.cancelHistoricalData(streams[0])
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True)) == 3
        assert [c for _, c, _ in errors] == [322]
