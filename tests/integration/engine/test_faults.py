"""Every fault the simulator has, against a TradingSession through ib_async: the Resynced report, the health
states on the way, and the subscriptions live again afterwards (a new quote after the fault)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ibbot.broker.base import Streamed
from ibbot.connection.continuity import ReconnectClass, SubscriptionKind
from ibbot.connection.health import Health
from ibbot.connection.supervisor import Resynced
from ibbot.data.limits import GovernorLimits
from ibbot.model import Quote
from ibbot.sim.config import SimConfig

from .helpers import Recorder, qualified, running_session

H = Health


async def quoting(session, recorder: Recorder) -> Recorder:  # type: ignore[no-untyped-def]
    """Subscribe AAPL quotes and wait for the first one; returns the feed's recorder."""
    aapl = await qualified(session)
    quotes = Recorder()
    await session.feeds.quotes(aapl, callback=quotes)
    await quotes.wait_for(Quote)
    return quotes


async def test_a_dropped_socket_reconnects_resubscribes_and_quotes_flow_again(tmp_path: Path) -> None:
    async with running_session(tmp_path) as (session, events):
        quotes = await quoting(session, events)
        mark = len(events)
        await session.simulator.faults.drop_all()
        resynced = await events.wait_for(Resynced, since=mark)
        report = resynced.report
        assert report.reconnect is ReconnectClass.SOCKET
        assert [s.kind for s in report.resubscribed] == [SubscriptionKind.QUOTES]
        assert report.failed == () and report.fills_recovered == 0 and report.bars_backfilled == ()
        assert events.health(mark) == [H.DISCONNECTED, H.CONNECTING, H.SYNCING, H.READY]
        after = len(quotes)
        await quotes.wait_for(Quote, since=after)
        assert session.supervisor.health.state is H.READY


async def test_connectivity_lost_then_restored_with_data_lost_resubscribes(tmp_path: Path) -> None:
    async with running_session(tmp_path) as (session, events):
        quotes = await quoting(session, events)
        mark = len(events)
        session.simulator.faults.connectivity_lost()
        await events.wait_health(H.OFFLINE, since=mark)
        assert session.supervisor.health.state is H.OFFLINE
        session.simulator.faults.connectivity_restored(data_lost=True)
        resynced = await events.wait_for(Resynced, since=mark)
        assert resynced.report.reconnect is ReconnectClass.DATA_LOST
        assert [s.kind for s in resynced.report.resubscribed] == [SubscriptionKind.QUOTES]
        assert resynced.report.failed == ()
        assert events.health(mark) == [H.OFFLINE, H.SYNCING, H.READY]
        after = len(quotes)
        await quotes.wait_for(Quote, since=after)
        assert not any(isinstance(e, Streamed) for e in events.events)  # streamed values go to the feeds only


async def test_connectivity_lost_then_restored_with_data_kept_verifies_only(tmp_path: Path) -> None:
    async with running_session(tmp_path) as (session, events):
        quotes = await quoting(session, events)
        mark = len(events)
        session.simulator.faults.connectivity_lost()
        await events.wait_health(H.OFFLINE, since=mark)
        session.simulator.faults.connectivity_restored(data_lost=False)
        resynced = await events.wait_for(Resynced, since=mark)
        assert resynced.report.reconnect is ReconnectClass.DATA_KEPT
        assert resynced.report.resubscribed == () and resynced.report.failed == ()
        assert events.health(mark) == [H.OFFLINE, H.READY]
        after = len(quotes)
        await quotes.wait_for(Quote, since=after)  # the same subscription, never remade, streams again


async def test_every_kind_of_feed_streams_again_after_a_drop(tmp_path: Path) -> None:
    # IB refuses a tick-by-tick stream asked again within 15 s of the last; both sides shorten that to 1 s here.
    sim = SimConfig(ephemeral=True, extra={"limits": {"tick_by_tick_repeat_window": 1}})
    governor = replace(GovernorLimits(), tick_by_tick_repeat_window=1.0)
    async with running_session(tmp_path, sim=sim, governor=governor) as (session, events):
        aapl = await qualified(session)
        streams = {kind: Recorder() for kind in ("quotes", "ticks", "depth", "bars")}
        await session.feeds.quotes(aapl, generic_ticks="233", callback=streams["quotes"])
        await session.feeds.ticks(aapl, callback=streams["ticks"])
        await session.feeds.depth(aapl, callback=streams["depth"])
        await session.feeds.realtime_bars(aapl, callback=streams["bars"])
        for recorder in streams.values():
            await recorder.wait_for(object)
        mark = len(events)
        await session.simulator.faults.drop_all()
        report = (await events.wait_for(Resynced, since=mark)).report
        assert {s.kind for s in report.resubscribed} == {
            SubscriptionKind.QUOTES,
            SubscriptionKind.TICKS,
            SubscriptionKind.DEPTH,
            SubscriptionKind.REALTIME_BARS,
        }
        assert report.failed == ()
        assert all(feed.live for feed in session.feeds)
        for recorder in streams.values():
            await recorder.wait_for(object, since=len(recorder))
