"""The paper account survives the simulator process: kill -9, start on the same state, everything is back."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from ib_async import IB, LimitOrder, MarketOrder, Stock

from .support import start_sim_process, until


def start(state: Path) -> tuple[subprocess.Popen[str], int]:
    proc, port, _ = start_sim_process("--state", str(state), "--log-level", "WARNING")
    return proc, port


async def snapshot(ib: IB) -> tuple[dict[int, float], str, list[tuple[int, str, float]]]:
    positions = {p.contract.conId: p.position for p in ib.positions()}
    cash = next(v.value for v in ib.accountValues() if v.tag == "TotalCashValue" and v.currency == "USD")
    orders = sorted((t.order.permId, t.order.orderType, t.order.lmtPrice) for t in await ib.reqAllOpenOrdersAsync())
    return positions, cash, orders


async def test_kill_and_restart_keeps_positions_cash_and_working_orders(tmp_path: Path) -> None:
    state = tmp_path / "paper.sqlite3"
    proc, port = start(state)
    try:
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=10)
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        bought = ib.placeOrder(aapl, MarketOrder("BUY", 10))
        await until(lambda: bought.orderStatus.status == "Filled", 10)
        working = ib.placeOrder(aapl, LimitOrder("BUY", 5, 1.00, tif="GTC"))  # far below the market
        await until(lambda: working.orderStatus.status == "Submitted", 10)
        await until(lambda: any(p.position == 10 for p in ib.positions()), 10)
        before = await snapshot(ib)
        ib.disconnect()
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush: only what was committed survives
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert before[0] == {aapl.conId: 10.0}

    proc, port = start(state)
    try:
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=10)
        await until(lambda: bool(ib.positions()), 10)
        after = await snapshot(ib)
        assert after == before
        ib.disconnect()
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
