"""Round trips from fills: flat to flat, a fill through zero closing one trade and opening the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ibbot.backtest.trades import TradeBook
from ibbot.model import Fill, Instrument, Side

T0 = datetime(2024, 1, 1, tzinfo=UTC)
AAPL = Instrument.stock("AAPL")


def fill(n: int, side: Side, qty: int, price: str, realized: str | None, commission: str = "1") -> Fill:
    return Fill(exec_id=str(n), instrument=AAPL, side=side, quantity=Decimal(qty), price=Decimal(price),
                time=T0 + timedelta(minutes=n), commission=Decimal(commission),
                realized_pnl=None if realized is None else Decimal(realized))  # fmt: skip


def test_a_long_scaled_in_and_out_is_one_trade() -> None:
    book = TradeBook()
    book.record(fill(1, Side.BUY, 10, "100", None), Decimal(10))
    book.record(fill(2, Side.BUY, 10, "102", None), Decimal(20))
    book.record(fill(3, Side.SELL, 5, "105", "19"), Decimal(15))
    assert book.closed == [] and book.open_trades == 1
    book.record(fill(4, Side.SELL, 15, "99", "-29"), Decimal(0))
    (trade,) = book.closed
    assert (trade.direction, trade.quantity, trade.entry_price, trade.exit_price) == (
        "long", 20, Decimal(101), Decimal("100.5"),
    )  # fmt: skip
    assert trade.pnl == Decimal(-10) and trade.commission == 4 and trade.fills == 4 and not trade.won


def test_a_flip_closes_the_trade_and_opens_the_other_side() -> None:
    book = TradeBook()
    book.record(fill(1, Side.SELL, 1, "100", None), Decimal(-1))
    book.record(fill(2, Side.BUY, 2, "98", "0.5", commission="1"), Decimal(1))
    book.record(fill(3, Side.SELL, 1, "99", "-0.5"), Decimal(0))
    short, long = book.closed
    assert (short.direction, short.pnl, short.commission) == ("short", Decimal("0.5"), Decimal("1.5"))
    assert (long.direction, long.entry_price, long.pnl, long.commission) == ("long", 98, Decimal("-0.5"), 1.5)
    assert long.entry_time == T0 + timedelta(minutes=2) and book.open_trades == 0
