"""Connecting real clients to the simulator over loopback: ib_async's whole startup, ibapi's EClient."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from ib_async import IB

from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator


async def test_ib_async_connects_and_syncs_in_well_under_a_second() -> None:
    async with running_simulator() as sim:
        ib = IB()
        started = time.perf_counter()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5, raiseSyncErrors=True)
        elapsed = time.perf_counter() - started
        try:
            assert ib.isConnected()
            assert ib.managedAccounts() == ["DU1234567"]
            assert ib.client.serverVersion() == 178
            assert elapsed < 1.0, f"connect took {elapsed:.2f}s"
            values = {v.tag: v.value for v in ib.accountValues()}
            assert values["NetLiquidation"] == "1000000.00"
            assert sim.client_count == 1
            now = await ib.reqCurrentTimeAsync()
            assert abs(now.timestamp() - time.time()) < 5
        finally:
            ib.disconnect()


async def test_duplicate_client_id_gets_326_and_is_closed() -> None:
    async with running_simulator() as sim:
        first = IB()
        await first.connectAsync("127.0.0.1", sim.port, clientId=7, timeout=5)
        second = IB()
        errors: list[int] = []
        second.errorEvent += lambda req_id, code, text, contract: errors.append(code)
        with pytest.raises((ConnectionError, TimeoutError, asyncio.TimeoutError)):
            await second.connectAsync("127.0.0.1", sim.port, clientId=7, timeout=2)
        assert 326 in errors
        assert first.isConnected()
        assert await first.reqCurrentTimeAsync()
        first.disconnect()


async def test_many_clients_at_once() -> None:
    async with running_simulator() as sim:
        clients = [IB() for _ in range(8)]
        await asyncio.gather(
            *(ib.connectAsync("127.0.0.1", sim.port, clientId=i, timeout=5) for i, ib in enumerate(clients))
        )
        assert sim.client_count == 8
        for ib in clients:
            ib.disconnect()


async def test_read_only_api_rejects_orders() -> None:
    from ib_async import LimitOrder, Stock

    async with running_simulator(SimConfig(read_only=True)) as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=3, timeout=5, readonly=True)
        errors: list[tuple[int, int]] = []
        ib.errorEvent += lambda req_id, code, text, contract: errors.append((req_id, code))
        trade = ib.placeOrder(Stock("AAPL", "SMART", "USD", conId=265598), LimitOrder("BUY", 1, 100.0))
        await asyncio.wait_for(_until(lambda: bool(errors)), 5)
        # TWS's read-only answer is a 321 validation error; ib_async records it as ValidationError.
        assert errors == [(trade.order.orderId, 321)]
        assert trade.orderStatus.status == "ValidationError"
        assert "Read-Only" in trade.log[-1].message
        ib.disconnect()


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    while not condition():
        await asyncio.sleep(0.01)


class _App:
    """An ibapi bot as IB's guides write one: EWrapper + EClient on a reader thread."""

    def __new__(cls):  # type: ignore[no-untyped-def]
        from ibapi.client import EClient
        from ibapi.wrapper import EWrapper

        class App(EWrapper, EClient):  # type: ignore[misc]
            def __init__(self) -> None:
                EWrapper.__init__(self)
                EClient.__init__(self, self)
                self.ready = threading.Event()
                self.time_event = threading.Event()
                self.next_id = 0
                self.accounts = ""
                self.server_time = 0

            def nextValidId(self, orderId: int) -> None:
                self.next_id = orderId
                self.ready.set()

            def managedAccounts(self, accountsList: str) -> None:
                self.accounts = accountsList

            def currentTime(self, time: int) -> None:
                self.server_time = time
                self.time_event.set()

        return App()


async def test_ibapi_connects_at_157() -> None:
    async with running_simulator() as sim:
        app = _App()
        await asyncio.to_thread(app.connect, "127.0.0.1", sim.port, 11)
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        try:
            assert await asyncio.to_thread(app.ready.wait, 5)
            assert app.serverVersion() == 157
            assert app.accounts == "DU1234567"
            assert app.next_id >= 1
            app.reqCurrentTime()
            assert await asyncio.to_thread(app.time_event.wait, 5)
            assert abs(app.server_time - time.time()) < 5
        finally:
            app.disconnect()
            await asyncio.to_thread(thread.join, 5)
