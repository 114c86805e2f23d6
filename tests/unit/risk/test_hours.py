"""The trading-hours check: regular hours, extended hours for outside_rth orders, overnight sessions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ibbot.model import Instrument, Session
from ibbot.risk import checks
from unit.risk.support import AAPL, ES, OFF, buy, context

HOURS = replace(OFF, allow_outside_hours=False)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("moment", [at(14, 30), at(15), at(20, 59)])
def test_a_regular_order_passes_inside_the_liquid_hours(moment: datetime) -> None:
    assert checks.check_trading_hours(buy(1), context(now=moment), HOURS) is None


def test_the_session_end_is_outside() -> None:
    refusal = checks.check_trading_hours(buy(1), context(now=at(21)), HOURS)
    assert refusal is not None and refusal.check == "trading_hours"
    assert refusal.reason == "AAPL is in extended hours at 2026-03-02 21:00 UTC and the order is not outside_rth"


def test_an_outside_rth_order_passes_in_extended_hours_only() -> None:
    early = context(now=at(9))
    assert checks.check_trading_hours(buy(1, outside_rth=True), early, HOURS) is None
    assert checks.check_trading_hours(buy(1), early, HOURS) is not None
    closed = checks.check_trading_hours(buy(1, outside_rth=True), context(now=at(8, 59)), HOURS)
    assert closed is not None
    assert (
        closed.reason
        == "AAPL is outside its trading hours at 2026-03-02 08:59 UTC (next session opens 2026-03-02 09:00 UTC)"
    )


def test_an_overnight_session_covers_both_sides_of_midnight() -> None:
    # ES trades 09:00 -> 01:00 the next day; it has no separate liquid hours, so that is its regular session.
    assert checks.check_trading_hours(buy(1, ES), context(now=at(23, 59)), HOURS) is None
    assert checks.check_trading_hours(buy(1, ES), context(now=at(0, 30, day=3)), HOURS) is None
    refusal = checks.check_trading_hours(buy(1, ES), context(now=at(1, day=3)), HOURS)
    assert refusal is not None and "outside its trading hours" in refusal.reason


def test_between_sessions_the_next_regular_open_is_named() -> None:
    tuesday = Session(start=at(14, 30, day=3), end=at(21, day=3))
    monday = AAPL.liquid_hours[0]
    two_days = AAPL.with_details(trading_hours=(monday, tuesday), liquid_hours=(monday, tuesday))
    refusal = checks.check_trading_hours(buy(1, two_days), context(now=at(22)), HOURS)
    assert refusal is not None and refusal.reason.endswith("(next session opens 2026-03-03 14:30 UTC)")


def test_unknown_hours_are_refused_unless_outside_hours_are_allowed() -> None:
    bare = Instrument.stock("IBM")
    refusal = checks.check_trading_hours(buy(1, bare), context(), HOURS)
    assert refusal is not None and "trading hours are unknown" in refusal.reason
    assert checks.check_trading_hours(buy(1, bare), context(), OFF) is None  # allow_outside_hours=True
    assert checks.check_trading_hours(buy(1), context(now=at(3)), OFF) is None


def test_reasons_print_utc_whatever_zone_now_is_in() -> None:
    new_york = timezone(timedelta(hours=-5))
    refusal = checks.check_trading_hours(buy(1), context(now=at(8, 59).astimezone(new_york)), HOURS)
    assert refusal is not None and "at 2026-03-02 08:59 UTC" in refusal.reason
