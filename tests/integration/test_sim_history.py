"""Historical bars as ib_async 2.1.0 sees them: counts that follow sessions, date forms, end forms, determinism,
IB's refusals, options, schedules, histograms and head timestamps (simulator time fixed by a ManualClock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

from ib_async import IB, Contract, Forex, Stock

from ibbot.clock import ManualClock
from ibbot.sim.instruments.calendar import calendar_named
from ibbot.sim.market.feed import snapshot
from ibbot.sim.server import SimServer
from ibbot.testing import running_simulator

from .support import until

# Tuesday 12 March 2024, 17:00 in New York: after the close of a regular session.
AFTER_CLOSE = dt.datetime(2024, 3, 12, 21, 0, tzinfo=dt.UTC)
EASTERN = ZoneInfo("US/Eastern")
AAPL = 265598


@asynccontextmanager
async def connected(
    now: dt.datetime = AFTER_CLOSE, **settings: Any
) -> AsyncIterator[tuple[SimServer, IB, list[tuple[int, int, str]], ManualClock]]:
    clock = ManualClock(now)
    async with running_simulator(clock=clock, **settings) as sim:
        ib = IB()
        errors: list[tuple[int, int, str]] = []
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        ib.errorEvent += lambda req_id, code, text, contract: errors.append((req_id, code, text))
        try:
            yield sim, ib, errors, clock
        finally:
            ib.disconnect()


def aapl() -> Stock:
    return Stock("AAPL", "SMART", "USD")


async def test_one_day_of_minute_bars_is_one_regular_session_in_both_date_forms() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        bars = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 min", "TRADES", True, formatDate=1)
        assert len(bars) == 390
        first, last = bars[0].date, bars[-1].date
        assert isinstance(first, dt.datetime) and first.tzinfo is not None
        assert first == dt.datetime(2024, 3, 12, 9, 30, tzinfo=EASTERN)
        assert last == dt.datetime(2024, 3, 12, 15, 59, tzinfo=EASTERN)
        assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
        assert all(b.volume > 0 and b.barCount > 0 for b in bars)
        epoch = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 min", "TRADES", True, formatDate=2)
        assert [b.date for b in epoch] == [b.date for b in bars]  # the same instants, UTC-aware
        assert epoch[0].date.tzinfo == dt.UTC
        assert [(b.open, b.close, b.volume) for b in epoch] == [(b.open, b.close, b.volume) for b in bars]
        again = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 min", "TRADES", True, formatDate=1)
        assert list(again) == list(bars)
        assert errors == []


async def test_a_week_of_hourly_bars_and_a_year_of_daily_bars_follow_the_calendar() -> None:
    async with connected() as (_sim, ib, _errors, _clock):
        hourly = await ib.reqHistoricalDataAsync(aapl(), "", "1 W", "1 hour", "TRADES", True)
        assert len(hourly) == 35  # 09:30, 10:00 ... 15:00 on five trading days
        assert [b.date.hour for b in hourly[:7]] == [9, 10, 11, 12, 13, 14, 15]
        daily = await ib.reqHistoricalDataAsync(aapl(), "", "1 Y", "1 day", "TRADES", True)
        calendar = calendar_named("US_EQUITY")
        first = dt.date(2023, 3, 13)
        days = [first + dt.timedelta(days=k) for k in range((dt.date(2024, 3, 12) - first).days + 1)]
        trading = [d for d in days if calendar.is_trading_day(d)]
        assert [b.date for b in daily] == trading
        assert dt.date(2023, 12, 25) not in {b.date for b in daily}  # Christmas
        assert len(daily) == len(trading) > 245


async def test_every_end_date_time_form_names_the_same_instant() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        forms: list[object] = [
            "20240311 16:00:00 US/Eastern",
            "20240311-20:00:00",
            dt.datetime(2024, 3, 11, 20, 0, tzinfo=dt.UTC),  # ib_async writes "... UTC"
        ]
        answers = [await ib.reqHistoricalDataAsync(aapl(), end, "1 D", "5 mins", "TRADES", True) for end in forms]
        assert len(answers[0]) == 78
        assert answers[0][-1].date == dt.datetime(2024, 3, 11, 15, 55, tzinfo=EASTERN)
        assert list(answers[1]) == list(answers[0]) == list(answers[2])
        implied = await ib.reqHistoricalDataAsync(aapl(), "20240311 16:00:00", "1 D", "5 mins", "TRADES", True)
        assert list(implied) == list(answers[0])  # TWS's zone is US/Eastern here
        assert [code for _, code, _ in errors] == [2174]  # ... with IB's notice about the missing zone


async def test_another_seed_gives_other_prices() -> None:
    async with connected() as (_sim, ib, _errors, _clock):
        one = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True)
    async with connected(seed=2) as (_sim, ib, _errors, _clock):
        two = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True)
    assert [b.date for b in one] == [b.date for b in two]
    assert [b.close for b in one] != [b.close for b in two]


async def test_forex_has_midpoints_but_no_trades() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        eur = Forex("EURUSD")
        mids = await ib.reqHistoricalDataAsync(eur, "", "1 D", "1 hour", "MIDPOINT", False)
        assert mids and all(b.volume == -1 for b in mids)
        trades = await ib.reqHistoricalDataAsync(eur, "", "1 D", "1 hour", "TRADES", False)
        assert len(trades) == 0
        (_, code, text) = errors[-1]
        assert code == 162 and "No historical market data for EUR/CASH@FXSUBPIP Last" in text


async def test_refusals_carry_ibs_codes_and_the_server_goes_on() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 secs", "TRADES", True)) == 0
        assert errors[-1][1:] == (162, "Historical Market Data Service error message:invalid step: 1")
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "2 D", "1 week", "TRADES", True)) == 0
        assert errors[-1][1] == 162
        unknown = Stock("NOSUCH", "SMART", "USD")
        assert len(await ib.reqHistoricalDataAsync(unknown, "", "1 D", "1 hour", "TRADES", True)) == 0
        assert errors[-1][1] == 200
        # 321 is a warning to ib_async (its future would wait): send the raw request and watch the error.
        for req_id, duration in ((9001, "1 X"), (9002, "10 S")):
            ib.client.reqHistoricalData(req_id, aapl(), "", duration, "1 min", "TRADES", 1, 1, False, [])
        ib.client.reqHistoricalData(9003, aapl(), "2024031", "1 D", "1 min", "TRADES", 1, 1, False, [])
        ib.client.reqHistoricalData(9004, aapl(), "20240311 10:00:00 UTC", "1 D", "1 min", "TRADES", 1, 1, True, [])
        await until(lambda: {r for r, _, _ in errors} >= {9001, 9002, 9003, 9004})
        codes = {r: c for r, c, _ in errors}
        assert (codes[9001], codes[9002], codes[9003], codes[9004]) == (321, 321, 10314, 321)
        assert len(await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", True)) == 7


async def test_option_quotes_come_from_the_model_and_option_trades_are_no_data() -> None:
    async with connected() as (sim, ib, errors, _clock):
        spy_id = next(i.con_id for i in sim.sim.securities if i.symbol == "SPY" and i.sec_type == "STK")
        options = [o for o in sim.sim.securities.options_of(spy_id) if o.expiry and o.expiry > AFTER_CLOSE.date()]
        call = next(o for o in options if o.right == "C")
        contract = Contract(conId=call.con_id, exchange="SMART")
        mids = await ib.reqHistoricalDataAsync(contract, "", "1 D", "1 hour", "MIDPOINT", True)
        assert len(mids) == 7 and all(b.close > 0 and b.low <= b.high for b in mids)
        bid_ask = await ib.reqHistoricalDataAsync(contract, "", "1 D", "1 hour", "BID_ASK", True)
        assert all(b.low <= b.open and b.close <= b.high for b in bid_ask)
        assert len(await ib.reqHistoricalDataAsync(contract, "", "1 D", "1 hour", "TRADES", True)) == 0
        assert errors[-1][1] == 162 and "HMDS query returned no data" in errors[-1][2]


async def test_the_last_minute_bar_closes_at_the_live_last_price() -> None:
    mid_session = dt.datetime(2024, 3, 12, 15, 0, 30, tzinfo=dt.UTC)  # 11:00:30 in New York
    async with connected(mid_session) as (sim, ib, _errors, _clock):
        bars = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 min", "TRADES", True)
        assert len(bars) == 91  # 09:30 .. 11:00, the last one still forming
        assert bars[-1].date == dt.datetime(2024, 3, 12, 11, 0, tzinfo=EASTERN)
        live = snapshot(sim.sim.prices.path(AAPL), mid_session)
        assert bars[-1].close == live.last


async def test_schedule_histogram_and_head_timestamp() -> None:
    async with connected() as (_sim, ib, errors, _clock):
        schedule = await ib.reqHistoricalScheduleAsync(aapl(), 5, "", True)
        assert schedule.timeZone == "US/Eastern"
        assert [s.refDate for s in schedule.sessions] == ["20240306", "20240307", "20240308", "20240311", "20240312"]
        assert schedule.sessions[0].startDateTime == "20240306-09:30:00"
        assert schedule.sessions[0].endDateTime == "20240306-16:00:00"
        items = await ib.reqHistogramDataAsync(aapl(), True, "3 days")
        assert items and all(i.count > 0 for i in items)
        assert [i.price for i in items] == sorted(i.price for i in items)
        head = await ib.reqHeadTimeStampAsync(aapl(), "TRADES", True, 1)
        assert head == dt.datetime(2004, 1, 2, 14, 30)  # UTC, as TWS writes it: the first regular session
        epoch = await ib.reqHeadTimeStampAsync(aapl(), "MIDPOINT", True, 2)
        assert epoch == dt.datetime(2004, 1, 2, 14, 30, tzinfo=dt.UTC)
        assert errors == []


async def test_one_day_before_the_open_is_the_last_session_as_ib_answers_it() -> None:
    # Before: at 01:30 New York time "1 D" of 1-minute RTH bars answered 162 (no data).
    night = dt.datetime(2024, 3, 13, 5, 30, tzinfo=dt.UTC)  # Wednesday 01:30 in New York
    async with connected(night) as (_sim, ib, errors, _clock):
        bars = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 min", "TRADES", True, formatDate=1)
        assert len(bars) == 390 and errors == []
        assert bars[0].date == dt.datetime(2024, 3, 12, 9, 30, tzinfo=EASTERN)  # Tuesday's session
        extended = await ib.reqHistoricalDataAsync(aapl(), "", "1 D", "1 hour", "TRADES", False, formatDate=1)
        assert extended[0].date.date() == dt.date(2024, 3, 13)  # around the clock: the day so far, 00:00-01:30
