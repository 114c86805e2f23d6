"""Scripted faults as an ib_async client sees them."""

from __future__ import annotations

import asyncio

from ib_async import IB

from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

from .support import until


async def connected(port: int, client_id: int = 1) -> tuple[IB, list[int]]:
    ib = IB()
    codes: list[int] = []
    ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
    await ib.connectAsync("127.0.0.1", port, clientId=client_id, timeout=5)
    return ib, codes


async def test_connectivity_lost_then_restored_with_data_lost() -> None:
    async with running_simulator() as sim:
        ib, codes = await connected(sim.port)
        sim.faults.connectivity_lost()
        await until(lambda: 1100 in codes)
        sim.faults.connectivity_restored(data_lost=True)
        await until(lambda: 1101 in codes)
        sim.faults.connectivity_lost()
        sim.faults.connectivity_restored(data_lost=False)
        await until(lambda: 1102 in codes)
        assert codes[-4:] == [1100, 1101, 1100, 1102]
        ib.disconnect()


async def test_farm_outage_and_recovery_notices() -> None:
    async with running_simulator() as sim:
        ib, codes = await connected(sim.port)
        sim.faults.farm("market", up=False)
        sim.faults.farm("hmds", up=False)
        sim.faults.farm("market", up=True)
        sim.faults.farm("hmds", up=True)
        await until(lambda: codes.count(2104) >= 2 and codes.count(2106) >= 2)
        assert [c for c in codes if c in (2103, 2104, 2105, 2106)][-4:] == [2103, 2105, 2104, 2106]
        ib.disconnect()


async def test_drop_all_disconnects_and_clients_can_reconnect() -> None:
    async with running_simulator() as sim:
        ib, _ = await connected(sim.port)
        lost = asyncio.Event()
        ib.disconnectedEvent += lost.set
        await sim.faults.drop_all()
        await asyncio.wait_for(lost.wait(), 5)
        assert not ib.isConnected()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        assert ib.isConnected()
        ib.disconnect()


async def test_restart_goes_away_and_comes_back_on_the_same_port() -> None:
    async with running_simulator() as sim:
        ib, _ = await connected(sim.port)
        lost = asyncio.Event()
        ib.disconnectedEvent += lost.set
        restart = asyncio.create_task(sim.faults.restart(0.5))
        await asyncio.wait_for(lost.wait(), 5)
        refused = IB()
        try:
            await refused.connectAsync("127.0.0.1", sim.port, clientId=2, timeout=1)
            raise AssertionError("the server should be down")
        except (ConnectionRefusedError, OSError, TimeoutError):
            pass
        await restart
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        assert ib.managedAccounts() == ["DU1234567"]
        ib.disconnect()


async def test_added_latency_delays_answers() -> None:
    async with running_simulator() as sim:
        ib, _ = await connected(sim.port)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await ib.reqCurrentTimeAsync()
        fast = loop.time() - start
        sim.faults.set_latency(0.3)
        start = loop.time()
        await ib.reqCurrentTimeAsync()
        slow = loop.time() - start
        assert slow >= 0.3 > fast
        ib.disconnect()


async def test_scheduled_faults_from_config() -> None:
    config = SimConfig(extra={"faults": [{"at": 1.0, "kind": "connectivity_lost", "duration": 0.2, "data_lost": True}]})
    async with running_simulator(config) as sim:
        ib, codes = await connected(sim.port)
        await until(lambda: 1101 in codes)
        assert codes.index(1100) < codes.index(1101)
        ib.disconnect()
