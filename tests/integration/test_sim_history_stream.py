"""keepUpToDate bars and the HMDS farm's outages as ib_async 2.1.0 sees them (simulator time is manual)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from ib_async import BarDataList

from .support import until
from .test_sim_history import aapl, connected

MID_SESSION = dt.datetime(2024, 3, 12, 15, 0, 30, tzinfo=dt.UTC)  # 11:00:30 in New York
EASTERN = ZoneInfo("US/Eastern")


async def test_keep_up_to_date_updates_the_forming_bar_then_adds_the_next_until_cancelled() -> None:
    async with connected(MID_SESSION) as (sim, ib, errors, clock):
        bars = await ib.reqHistoricalDataAsync(aapl(), "", "1800 S", "1 min", "TRADES", True, keepUpToDate=True)
        assert len(bars) == 30 and bars[-1].date == dt.datetime(2024, 3, 12, 11, 0, tzinfo=EASTERN)
        forming = bars[-1]
        updates: list[bool] = []
        bars.updateEvent += lambda _bars, has_new_bar: updates.append(has_new_bar)
        clock.advance(20)
        await until(lambda: len(updates) >= 1)
        assert updates == [False] and len(bars) == 30
        assert bars[-1].volume >= forming.volume and bars[-1].date == forming.date
        clock.advance(45)  # 11:01:35: the 11:00 bar is complete and the 11:01 bar forms
        await until(lambda: len(bars) == 31)
        assert bars[-1].date == dt.datetime(2024, 3, 12, 11, 1, tzinfo=EASTERN)
        assert sim.sim.pacing.open_historical == 1  # a keepUpToDate request stays open
        ib.cancelHistoricalData(bars)
        await until(lambda: sim.sim.pacing.open_historical == 0)
        # The completed bar as streamed is the bar history gives for that minute.
        (minute,) = await ib.reqHistoricalDataAsync(
            aapl(), "20240312 11:01:00 US/Eastern", "60 S", "1 min", "TRADES", True
        )
        assert minute == bars[-2]
        assert errors == []


async def test_hmds_outage_holds_requests_ends_streams_and_recovers() -> None:
    async with connected(MID_SESSION) as (sim, ib, errors, clock):
        stream = await ib.reqHistoricalDataAsync(aapl(), "", "1800 S", "1 min", "TRADES", True, keepUpToDate=True)
        sim.faults.farm("hmds", up=False)
        await until(lambda: (stream.reqId, 10182) in [(r, c) for r, c, _ in errors])
        assert sim.sim.pacing.open_historical == 0
        pending = asyncio.ensure_future(ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True))
        await until(lambda: any(c == 165 and "disconnect occurred" in t for _, c, t in errors))
        refused: BarDataList = await ib.reqHistoricalDataAsync(
            aapl(), "", "1800 S", "1 min", "TRADES", True, keepUpToDate=True
        )
        assert len(refused) == 0 and errors[-1][1:] == (10182, "Failed to request live updates (disconnected).")
        clock.advance(5)
        assert not pending.done()  # held while the farm is down
        sim.faults.farm("hmds", up=True)
        bars = await asyncio.wait_for(pending, 5)
        assert len(bars) == 3  # 09:30, 10:00 and the forming 11:00 bar
        assert any(c == 165 and "connection was successful" in t for _, c, t in errors)
        again = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True)
        assert list(again) == list(bars)
