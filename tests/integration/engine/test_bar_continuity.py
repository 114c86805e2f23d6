"""Bar series across every fault the simulator has: after the `Resynced`, each series (IB's 5-second bars,
30-second bars built from them, keepUpToDate 30-second bars) is bar for bar what a fault-free run gives, which
is what the simulator's history serves for the same span (the same seeded path): no gap, no duplicate.

The simulator's clock runs 20 times the wall clock's pace, so a 30-second bar takes 1.5 s here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from ibbot.connection.continuity import ReconnectClass, SubscriptionKind
from ibbot.connection.health import Health
from ibbot.connection.supervisor import Resynced
from ibbot.data.feeds import Feed
from ibbot.engine.session import TradingSession
from ibbot.model import Bar, Instrument

from .helpers import Recorder, qualified, running_session

RATE = 20.0
OUTAGE = 1.6  # real seconds a fault lasts: 32 simulated seconds, so every series misses a bar

Fault = Callable[[TradingSession, Recorder], Awaitable[None]]


async def drop(session: TradingSession, events: Recorder) -> None:
    await session.simulator.faults.drop_all()


async def data_lost(session: TradingSession, events: Recorder) -> None:
    mark = len(events)
    session.simulator.faults.connectivity_lost()
    await events.wait_health(Health.OFFLINE, since=mark)
    await asyncio.sleep(OUTAGE)  # the outage's length, not a synchronisation
    session.simulator.faults.connectivity_restored(data_lost=True)


async def data_kept(session: TradingSession, events: Recorder) -> None:
    mark = len(events)
    session.simulator.faults.connectivity_lost()
    await events.wait_health(Health.OFFLINE, since=mark)
    await asyncio.sleep(OUTAGE)
    session.simulator.faults.connectivity_restored(data_lost=False)


async def restart(session: TradingSession, events: Recorder) -> None:
    await session.simulator.faults.restart(OUTAGE)


def farm(name: str) -> Fault:
    async def fault(session: TradingSession, events: Recorder) -> None:
        mark = len(events)
        session.simulator.faults.farm(name, up=False)
        await events.wait_health(Health.DEGRADED, since=mark)
        await asyncio.sleep(OUTAGE)
        session.simulator.faults.farm(name, up=True)

    return fault


async def competing(session: TradingSession, events: Recorder) -> None:
    mark = len(events)
    session.simulator.faults.competing_session(active=True)
    await events.wait_health(Health.DEGRADED, since=mark)
    await asyncio.sleep(OUTAGE)
    session.simulator.faults.competing_session(active=False)


CASES = {
    "drop": (drop, ReconnectClass.SOCKET),
    "1100-1101": (data_lost, ReconnectClass.DATA_LOST),
    "1100-1102": (data_kept, ReconnectClass.DATA_KEPT),
    "restart": (restart, ReconnectClass.RESTART),
    "market-farm": (farm("market"), ReconnectClass.DATA_RESUMED),
    "hmds-farm": (farm("hmds"), ReconnectClass.DATA_RESUMED),
    "competing-session": (competing, ReconnectClass.DATA_RESUMED),
}


def _row(bar: Bar) -> tuple[object, ...]:
    return (bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.count, round(bar.wap, 3))


async def _history(session: TradingSession, instrument: Instrument, bar_size: str, seconds: int) -> dict:  # type: ignore[type-arg]
    bars = await session.gateway.historical_bars(
        instrument, end=None, duration=f"{seconds} S", bar_size=bar_size, use_rth=False
    )
    return {b.time: _row(b) for b in bars}


def _assert_matches_history(name: str, delivered: list[Bar], history: dict, step: timedelta) -> None:  # type: ignore[type-arg]
    times = [b.time for b in delivered]
    assert times == sorted(set(times)), f"{name}: a bar twice or out of order: {times}"
    gaps = [(a, b) for a, b in zip(times, times[1:], strict=False) if b - a != step]
    assert not gaps, f"{name}: gaps in the series: {gaps}"
    wrong = [(_row(b), history.get(b.time)) for b in delivered if history.get(b.time) != _row(b)]
    assert not wrong, f"{name}: bars that differ from history: {wrong[:3]}"


@pytest.mark.parametrize("case", list(CASES))
async def test_bar_series_across_a_fault_are_identical_to_history(tmp_path: Path, case: str) -> None:
    fault, reconnect = CASES[case]
    async with running_session(tmp_path, rate=RATE) as (session, events):
        aapl = await qualified(session)
        five, thirty, kept = Recorder(), Recorder(), Recorder()
        feeds: list[Feed] = [
            await session.feeds.realtime_bars(aapl, callback=five),
            await session.feeds.realtime_bars(aapl, bar_size="30 secs", callback=thirty),
        ]
        feed, initial = await session.feeds.bars(aapl, "30 secs", lookback="120 S", callback=kept)
        feeds.append(feed)
        await thirty.wait_count(Bar, 1, timeout=20)
        await kept.wait_count(Bar, 1, timeout=20)

        mark = len(events)
        await fault(session, events)
        resynced = await events.wait_for(Resynced, since=mark, timeout=30)
        report = resynced.report
        assert report.reconnect is reconnect
        assert report.failed == ()
        if reconnect in (ReconnectClass.SOCKET, ReconnectClass.RESTART, ReconnectClass.DATA_LOST):
            assert {s.kind for s in report.resubscribed} == {
                SubscriptionKind.REALTIME_BARS,
                SubscriptionKind.BARS,
                SubscriptionKind.KEEP_UP_TO_DATE_HISTORY,
            }
        if case == "hmds-farm":  # keepUpToDate ends with 10182 when the farm goes; remade when it is back
            assert [s.kind for s in report.resubscribed] == [SubscriptionKind.KEEP_UP_TO_DATE_HISTORY]
        if case != "drop":  # a drop is over within a bar; every other fault silences every series for a bar
            assert report.total_bars > 0  # the outage's bars came from history

        # A 30-second bar wholly after the resync, on every series.
        until = session.clock.now() + timedelta(seconds=30)
        for recorder in (thirty, kept):
            await recorder.wait_for(Bar, lambda b: b.time >= until, since=0, timeout=30)
        await five.wait_for(Bar, lambda b: b.time >= until, timeout=30)
        assert all(f.live for f in feeds)

        span = int((session.clock.now() - five.events[0].time).total_seconds()) + 60
        h5 = await _history(session, aapl, "5 secs", span)
        h30 = await _history(session, aapl, "30 secs", span + 120)
        _assert_matches_history("5-second bars", five.of(Bar), h5, timedelta(seconds=5))
        _assert_matches_history("30-second bars from 5-second bars", thirty.of(Bar), h30, timedelta(seconds=30))
        _assert_matches_history("keepUpToDate bars", initial + kept.of(Bar), h30, timedelta(seconds=30))
