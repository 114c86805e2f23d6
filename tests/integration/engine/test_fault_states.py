"""The faults not covered by test_faults.py, each through a TradingSession: the health it passes through, the
`Resynced` that ends it, subscriptions live afterwards; and the fills made while the socket was down, delivered
exactly once after the reconnect."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.connection.continuity import ReconnectClass
from ibbot.connection.health import Health
from ibbot.connection.resets import ResetWindow
from ibbot.connection.supervisor import HealthChanged, Resynced
from ibbot.engine.session import TradingSession
from ibbot.model import Fill, OrderRequest, Quote, Side
from integration.support import until

from .helpers import Recorder, qualified, running_session

H = Health


async def quoting(session: TradingSession) -> Recorder:
    quotes = Recorder()
    await session.feeds.quotes(await qualified(session), callback=quotes)
    await quotes.wait_for(Quote)
    return quotes


@pytest.mark.parametrize("farm", ["market", "hmds", "secdef"])
async def test_a_farm_down_degrades_the_session_and_its_return_resumes_the_data(tmp_path: Path, farm: str) -> None:
    async with running_session(tmp_path) as (session, events):
        quotes = await quoting(session)
        mark = len(events)
        session.simulator.faults.farm(farm, up=False)
        change = await events.wait_for(HealthChanged, lambda e: e.snapshot.state is H.DEGRADED, since=mark)
        (down,) = [f for f in change.snapshot.farms if not f.status.ok]
        assert down.kind.value == farm and farm in change.snapshot.reason.replace("ushmds", "hmds")
        session.simulator.faults.farm(farm, up=True)
        resynced = await events.wait_for(Resynced, since=mark)
        assert resynced.report.reconnect is ReconnectClass.DATA_RESUMED and resynced.report.failed == ()
        assert resynced.report.fills_recovered == 0
        assert events.health(mark) == [H.DEGRADED, H.READY]
        assert session.supervisor.health.ready
        after = len(quotes)
        await quotes.wait_for(Quote, since=after)


async def test_a_competing_session_degrades_until_data_flows_again(tmp_path: Path) -> None:
    async with running_session(tmp_path) as (session, events):
        quotes = await quoting(session)
        mark = len(events)
        session.simulator.faults.competing_session(active=True)
        await events.wait_health(H.DEGRADED, since=mark)
        assert session.supervisor.health.competing_session
        session.simulator.faults.competing_session(active=False)
        resynced = await events.wait_for(Resynced, since=mark)
        assert resynced.report.reconnect is ReconnectClass.DATA_RESUMED
        assert events.health(mark) == [H.DEGRADED, H.READY]
        after = len(quotes)
        await quotes.wait_for(Quote, since=after)


async def test_a_gateway_restart_is_told_from_a_drop_and_resubscribes(tmp_path: Path) -> None:
    async with running_session(tmp_path) as (session, events):
        quotes = await quoting(session)
        mark = len(events)
        await session.simulator.faults.restart(downtime=0.8)  # longer than the first backoff: a refusal first
        resynced = await events.wait_for(Resynced, since=mark, timeout=20)
        assert resynced.report.reconnect is ReconnectClass.RESTART
        assert len(resynced.report.resubscribed) == 1 and resynced.report.failed == ()
        states = events.health(mark)
        assert states[0] is H.DISCONNECTED and states[-3:] == [H.CONNECTING, H.SYNCING, H.READY]
        after = len(quotes)
        await quotes.wait_for(Quote, since=after)


async def test_added_latency_slows_answers_without_a_reconnect(tmp_path: Path) -> None:
    async with running_session(tmp_path) as (session, events):
        aapl = await qualified(session)
        mark = len(events)
        session.simulator.faults.set_latency(0.3)
        clock = session.clock
        started = clock.monotonic()
        bars = await session.gateway.historical_bars(aapl, end=None, duration="60 S", bar_size="5 secs")
        assert bars and clock.monotonic() - started >= 0.3
        session.simulator.faults.set_latency(0.0)
        assert events.resynced(mark) == [] and events.health(mark) == []
        assert session.supervisor.health.ready


@pytest.mark.parametrize("fault", ["drop", "restart"])
async def test_a_fill_made_while_the_socket_was_down_is_delivered_once(tmp_path: Path, fault: str) -> None:
    async with running_session(tmp_path) as (session, events):
        aapl = await qualified(session)
        sim = session.simulator
        # The simulator holds its answers back for 2 s, so the fill happens there but never reaches the bot
        # before the socket goes: exactly what a fill during a disconnect looks like from the bot's side.
        sim.faults.set_latency(2.0)
        executed = len(sim.sim.trading.executions)
        order_id = await session.gateway.place_order(
            OrderRequest(instrument=aapl, side=Side.BUY, quantity=Decimal(7), order_ref="while-down")
        )
        await until(lambda: len(sim.sim.trading.executions) > executed, 10)  # the simulator's own state
        (execution,) = sim.sim.trading.executions[executed:]
        mark = len(events)
        sim.faults.set_latency(0.0)
        if fault == "drop":
            await sim.faults.drop_all()
        else:
            await sim.faults.restart(downtime=0.5)
        resynced = await events.wait_for(Resynced, since=mark, timeout=20)
        assert resynced.report.fills_recovered == 1
        fills = [f for f in events.of(Fill) if f.exec_id == execution.exec_id]
        assert len(fills) == 1
        (fill,) = fills
        assert fill.order_id == order_id and fill.order_ref == "while-down" and fill.quantity == 7
        # Asked again (the next resync), the same execution is not delivered twice.
        mark = len(events)
        await sim.faults.drop_all()
        again = await events.wait_for(Resynced, since=mark, timeout=20)
        assert again.report.fills_recovered == 0
        assert len([f for f in events.of(Fill) if f.exec_id == execution.exec_id]) == 1


async def test_a_restart_inside_a_reset_window_is_waited_out_without_alarms(tmp_path: Path) -> None:
    window = ResetWindow(name="nightly", zone="UTC", start=time(15, 0), end=time(16, 0))  # T0 is 15:30 UTC
    async with running_session(tmp_path, reset_windows=(window,)) as (session, events):
        await quoting(session)
        assert session.supervisor.health.ready  # a window is no reason not to trade while the session is fine
        mark = len(events)
        await session.simulator.faults.restart(downtime=0.8)
        resynced = await events.wait_for(Resynced, since=mark, timeout=20)
        assert resynced.report.reconnect is ReconnectClass.RESTART
        states = events.health(mark)
        assert H.RESETTING in states and states[-1] is H.READY
        assert not {H.DISCONNECTED, H.DEGRADED, H.OFFLINE} & set(states)
