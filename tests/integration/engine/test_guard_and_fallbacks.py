"""The live guard, the client-id range on 326 and the delayed-data fallback, through a TradingSession against a
standalone simulator: every refusal comes before any request that could trade, with a message that says what
to do."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from ib_async import IB

from ibbot.connection.config import ConnectionSettings
from ibbot.connection.health import Health
from ibbot.connection.targets import ClientIdPolicy, Target
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.errors import ClientIdInUseError, LiveGuardError
from ibbot.model import DataQuality, Instrument, Quote
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator
from integration.support import until

from .helpers import FAST_BACKOFF, Recorder


def _session(tmp_path: Path, port: int, *, live: bool | None, allow_live: bool = False,
             client_ids: ClientIdPolicy | None = None) -> TradingSession:  # fmt: skip
    target = Target(name=f"127.0.0.1:{port}", host="127.0.0.1", port=port, live=live)
    connection = replace(
        ConnectionSettings(), target=target, allow_live=allow_live, backoff=FAST_BACKOFF, connect_timeout=5.0,
        client_ids=client_ids or ClientIdPolicy(first=1, last=9),
    )  # fmt: skip
    return TradingSession(SessionSettings(connection=connection, data_dir=tmp_path, startup_wait=5.0, seed=1))


GUARD_CASES = {
    "live account, HOST:PORT, no opt-in": (("U1234567",), None, False, "explicit opt-in allow_live"),
    "live account on a paper target, even with the opt-in": (("U1234567",), False, True, "target is a paper one"),
    "paper account on a live target": (("DU1234567",), True, True, "account DU1234567 is paper"),
    "paper and live accounts together": (("DU1234567", "U7654321"), None, True, "together"),
}


@pytest.mark.parametrize("case", list(GUARD_CASES))
async def test_the_live_guard_refuses_before_anything_is_sent(tmp_path: Path, case: str) -> None:
    accounts, live, allow_live, message = GUARD_CASES[case]
    async with running_simulator(SimConfig(accounts=accounts)) as sim:
        session = _session(tmp_path, sim.port, live=live, allow_live=allow_live)
        with pytest.raises(LiveGuardError, match=message):
            await session.start()
        assert session.supervisor.health.state is Health.STOPPED
        assert not session.broker.connected
        await until(lambda: not sim.client_count, 5)  # the simulator sees the close when its reader gets the EOF
        assert sim.sim.trading.records == {} and sim.sim.trading.executions == []


async def test_a_live_account_with_the_opt_in_connects(tmp_path: Path) -> None:
    async with (
        running_simulator(SimConfig(accounts=("U1234567",))) as sim,
        _session(tmp_path, sim.port, live=None, allow_live=True) as session,
    ):
        assert session.supervisor.health.ready
        assert session.supervisor.session is not None
        assert session.supervisor.session.accounts == ("U1234567",)


async def test_a_client_id_in_use_moves_to_the_next_of_the_range(tmp_path: Path) -> None:
    async with running_simulator() as sim:
        other = IB()
        await other.connectAsync("127.0.0.1", sim.port, clientId=5, timeout=5)
        try:
            policy = ClientIdPolicy(first=5, last=7)
            async with _session(tmp_path, sim.port, live=False, client_ids=policy) as session:
                assert session.supervisor.client_id == 6
                assert session.supervisor.health.ready
        finally:
            other.disconnect()


async def test_every_client_id_of_the_range_in_use_stops_with_the_conflict_named(tmp_path: Path) -> None:
    async with running_simulator() as sim:
        others = [IB(), IB()]
        for n, ib in enumerate(others):
            await ib.connectAsync("127.0.0.1", sim.port, clientId=5 + n, timeout=5)
        try:
            session = _session(tmp_path, sim.port, live=False, client_ids=ClientIdPolicy(first=5, last=6))
            with pytest.raises(ClientIdInUseError, match="5") as raised:
                await session.start()
            assert "6" in str(raised.value)
        finally:
            for ib in others:
                ib.disconnect()


async def test_quotes_without_a_subscription_fall_back_to_delayed_and_say_so(tmp_path: Path) -> None:
    config = SimConfig(extra={"limits": {"subscriptions": ["CASH"]}})  # stocks are not subscribed
    async with running_simulator(config) as sim, _session(tmp_path, sim.port, live=False) as session:
        aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
        eurusd = await session.contracts.qualify(Instrument.forex("EUR.USD"))
        stock, forex = Recorder(), Recorder()
        await session.feeds.quotes(aapl, callback=stock)
        await session.feeds.quotes(eurusd, callback=forex)
        delayed = await stock.wait_for(Quote, lambda q: q.bid == q.bid and q.bid is not None)
        assert delayed.quality is DataQuality.DELAYED
        live = await forex.wait_for(Quote, lambda q: q.bid == q.bid and q.bid is not None)
        assert live.quality is DataQuality.LIVE
        assert session.feeds.delayed() == frozenset({aapl})
