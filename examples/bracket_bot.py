"""An example bot written with plain ib_async: it would run unchanged against TWS or IB Gateway.

It qualifies a few contracts, streams quotes, pulls history, buys with a bracket (take profit + stop loss),
protects a second position with a trailing stop, and prints every order status change, fill, position and
PnL as they happen, ending with a summary of this run's orders. `examples/ib_async_demo.py` runs it against an
in-process `ibbot sim`; against a standalone one (`ibbot sim`, then `python examples/bracket_bot.py 7497`) it
works at any hour, since the simulator trades around the clock unless told to keep exchange hours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ib_async import IB, Contract, Fill, Forex, MarketOrder, Order, Stock, Trade
from rich.console import Console
from rich.table import Table

TIMEOUT = 25.0  # seconds to wait for exits to fill before the bot moves on


async def run(port: int, *, host: str = "127.0.0.1", client_id: int = 1, console: Console | None = None) -> int:
    console = console or Console()
    ib = IB()
    placed: list[Trade] = []  # this run's orders: the paper account may hold earlier sessions' too
    fills: list[Fill] = []
    ib.orderStatusEvent += lambda trade: _print_status(console, trade)
    ib.execDetailsEvent += lambda trade, fill: _on_fill(console, placed, fills, trade, fill)
    ib.errorEvent += lambda req_id, code, text, contract: _print_error(console, req_id, code, text)

    await ib.connectAsync(host, port, clientId=client_id, timeout=10)
    console.rule("[bold]connected")
    console.print(f"server version {ib.client.serverVersion()}, account {ib.managedAccounts()[0]}")

    aapl, msft, eurusd = await ib.qualifyContractsAsync(
        Stock("AAPL", "SMART", "USD"), Stock("MSFT", "SMART", "USD"), Forex("EURUSD")
    )
    await _stream_quotes(ib, console, [aapl, msft, eurusd])
    await _history(ib, console, aapl)

    console.rule("[bold]bracket order on AAPL")
    ticker = ib.ticker(aapl)
    entry = round(ticker.ask, 2)
    bracket = ib.bracketOrder(
        "BUY", 100, limitPrice=entry, takeProfitPrice=round(entry + 0.01, 2), stopLossPrice=round(entry - 0.5, 2)
    )
    trades = [ib.placeOrder(aapl, order) for order in bracket]
    placed += trades
    await _until(lambda: trades[0].isDone() and (trades[1].isDone() or trades[2].isDone()), TIMEOUT)

    console.rule("[bold]trailing stop on MSFT")
    buy = ib.placeOrder(msft, MarketOrder("BUY", 50))
    placed.append(buy)
    await _until(buy.isDone, TIMEOUT)
    trail = Order(action="SELL", totalQuantity=50, orderType="TRAIL", auxPrice=0.05, tif="GTC")
    trail_trade = ib.placeOrder(msft, trail)
    placed.append(trail_trade)
    await _until(trail_trade.isDone, TIMEOUT)

    await _positions_and_pnl(ib, console)
    for trade in placed:
        if not trade.isDone():
            ib.cancelOrder(trade.order)
    await _until(lambda: all(trade.isDone() for trade in placed), 5)  # the cancellations' statuses print first
    _summary(ib, console, placed, fills)
    ib.disconnect()
    return 0


async def _until(condition: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _stream_quotes(ib: IB, console: Console, contracts: list[Contract]) -> None:
    console.rule("[bold]live quotes")
    tickers = [ib.reqMktData(c) for c in contracts]
    await _until(lambda: all(t.bid == t.bid and t.ask == t.ask for t in tickers), 5)  # NaN until the first tick
    for _ in range(3):
        await asyncio.sleep(1)
        table = Table("symbol", "bid", "ask", "last", "volume", box=None)
        for t in tickers:
            table.add_row(
                t.contract.localSymbol or t.contract.symbol, f"{t.bid}", f"{t.ask}", f"{t.last}", f"{t.volume}"
            )
        console.print(table)


async def _history(ib: IB, console: Console, contract: Contract) -> None:
    console.rule("[bold]history")
    bars = await ib.reqHistoricalDataAsync(contract, "", "1 D", "5 mins", "TRADES", useRTH=True)
    if bars:
        console.print(
            f"{len(bars)} five-minute bars of {contract.symbol}: first {bars[0].date} open {bars[0].open}, "
            f"last {bars[-1].date} close {bars[-1].close}, "
            f"high {max(b.high for b in bars)}, low {min(b.low for b in bars)}"
        )


async def _positions_and_pnl(ib: IB, console: Console) -> None:
    console.rule("[bold]positions and PnL")
    account = ib.managedAccounts()[0]
    ib.reqPnL(account)
    await asyncio.sleep(1.5)
    table = Table("symbol", "position", "avg cost", "market price", "unrealized", "realized", box=None)
    for item in ib.portfolio():
        table.add_row(item.contract.symbol, f"{item.position:g}", f"{item.averageCost:.2f}", f"{item.marketPrice:.2f}",
                      f"{item.unrealizedPNL:.2f}", f"{item.realizedPNL:.2f}")  # fmt: skip
    console.print(table)
    for pnl in ib.pnl():
        console.print(
            f"PnL: daily {pnl.dailyPnL:.2f}, unrealized {pnl.unrealizedPnL:.2f}, realized {pnl.realizedPnL:.2f}"
        )


def _on_fill(console: Console, placed: list[Trade], fills: list[Fill], trade: Trade, fill: Fill) -> None:
    if any(trade.order.orderId == mine.order.orderId for mine in placed):  # not an earlier session's execution
        fills.append(fill)
        _print_fill(console, fill)


def _print_status(console: Console, trade: Trade) -> None:
    o, s = trade.order, trade.orderStatus
    price = (
        f" @ {o.lmtPrice}"
        if o.orderType == "LMT"
        else (
            f" stop {o.auxPrice}"
            if o.orderType == "STP"
            else (f" trail {o.auxPrice}" if o.orderType == "TRAIL" else "")
        )
    )
    console.print(
        f"  order {o.orderId:>3} {o.action} {o.totalQuantity:g} {trade.contract.symbol} {o.orderType}{price}: "
        f"[cyan]{s.status}[/] filled {s.filled:g}/{o.totalQuantity:g}"
    )


def _print_fill(console: Console, fill: Fill) -> None:
    e = fill.execution
    console.print(f"  [green]fill[/] {e.side} {e.shares:g} {fill.contract.symbol} @ {e.price} (order {e.orderId})")


def _print_error(console: Console, req_id: int, code: int, text: str) -> None:
    if code not in (2104, 2106, 2158, 202):  # farm notices and cancellation confirmations are routine
        console.print(f"  [yellow]IB {code}[/] (id {req_id}): {text}")


def _summary(ib: IB, console: Console, placed: list[Trade], fills: list[Fill]) -> None:
    console.rule("[bold]summary")
    table = Table("order", "symbol", "side", "type", "status", "filled", "avg price", box=None)
    for trade in placed:
        o, s = trade.order, trade.orderStatus
        table.add_row(
            str(o.orderId),
            trade.contract.symbol,
            o.action,
            o.orderType,
            s.status,
            f"{s.filled:g}",
            f"{s.avgFillPrice:.2f}",
        )
    console.print(table)
    commissions = sum(f.commissionReport.commission for f in fills)
    values = {v.tag: v.value for v in ib.accountValues() if v.currency in ("USD", "")}
    console.print(
        f"{len(fills)} fills, commissions {commissions:.2f} USD, net liquidation {values.get('NetLiquidation')} USD"
    )


if __name__ == "__main__":
    import sys

    sys.exit(asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 7497)))
