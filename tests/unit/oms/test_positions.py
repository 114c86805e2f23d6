from __future__ import annotations

from dataclasses import replace

from ibbot.model import AccountValue, Fill, Side
from ibbot.oms import PositionBook, broker_pnl, pnl_differences
from unit.oms.support import AAPL, ACCOUNT, ES, MSFT, NOW, d, fill, position


def book_of(*fills: Fill) -> PositionBook:
    book = PositionBook()
    for each in fills:
        book.apply(each)
    return book


def row(book: PositionBook, marks: dict[str, object], key: str = AAPL.key) -> tuple[object, object, object]:
    report = book.pnl({k: d(v) for k, v in marks.items()}, NOW)
    found = next(p for p in report.per_instrument if p.instrument is not None and p.instrument.key == key)
    return (found.realized, found.unrealized, found.daily)


def test_a_long_position_averages_its_buys_and_realizes_on_a_partial_close() -> None:
    book = book_of(fill("E1", 100, 10), fill("E2", 100, 12), fill("E3", 50, 13, side=Side.SELL))
    assert book.positions() == (position(150, avg_cost=11),)
    realized, unrealized, _ = row(book, {AAPL.key: 14})
    assert (realized, unrealized) == (100, 450)


def test_a_short_position_gains_when_the_price_falls() -> None:
    book = book_of(fill("E1", 100, 50, side=Side.SELL), fill("E2", 40, 45))
    assert book.quantity(AAPL, ACCOUNT) == -60
    assert row(book, {AAPL.key: 48})[:2] == (200, 120)


def test_a_fill_through_zero_closes_the_old_side_and_opens_the_new_at_its_price() -> None:
    book = book_of(fill("E1", 100, 10), fill("E2", 150, 12, side=Side.SELL))
    assert book.positions() == (position(-50, avg_cost=12),)
    assert row(book, {AAPL.key: 11})[:2] == (200, 50)
    flat = book_of(fill("E1", 100, 10), fill("E2", 100, 9, side=Side.SELL))
    assert flat.positions() == () and row(flat, {})[:2] == (-100, 0)


def test_commissions_are_realized_with_the_fill_or_when_reported_later() -> None:
    book = book_of(replace_commission(fill("E1", 100, 10), "1.25"))
    assert row(book, {AAPL.key: 10})[0] == d("-1.25")
    book.charge(ACCOUNT, AAPL, d("0.75"))
    book.apply(replace_commission(fill("E2", 100, 11, side=Side.SELL), "1"))
    assert row(book, {AAPL.key: 11})[:2] == (d("97"), 0)


def test_the_multiplier_scales_realized_and_unrealized() -> None:
    book = book_of(fill("E1", 2, 4000, instrument=ES), fill("E2", 1, 4010, side=Side.SELL, instrument=ES))
    assert book.positions()[0].avg_cost == 4000 * 50
    assert row(book, {ES.key: 4005}, ES.key)[:2] == (500, 250)


def test_daily_pnl_counts_the_day_s_value_change_and_trades() -> None:
    book = book_of(fill("E1", 100, 10))
    book.start_day({AAPL.key: d(11)})  # yesterday's close
    book.apply(fill("E2", 100, 12))  # bought today at 12
    book.apply(replace_commission(fill("E3", 50, 13, side=Side.SELL), "1"))
    realized, unrealized, daily = row(book, {AAPL.key: 14})
    # value 150 x 14 = 2100, at the start 100 x 11 = 1100; cash -1200 + 650 - 1 = -551: the day made 449
    assert daily == 449
    assert (realized, unrealized) == (99, 450)  # (13 - 11) x 50 - 1; (14 - 11) x 150


def test_totals_sum_the_instruments_and_unmarked_positions_are_listed() -> None:
    book = book_of(fill("E1", 10, 100), fill("E2", 5, 200, instrument=MSFT))
    report = book.pnl({AAPL.key: d(101)}, NOW)
    assert (report.total.realized, report.total.unrealized, report.total.time) == (0, 10, NOW)
    assert report.unmarked == (MSFT.key,)


def test_a_book_can_start_from_the_journal_s_positions() -> None:
    book = PositionBook.from_positions([position(100, avg_cost=10), position(-2, instrument=ES, avg_cost=200_000)])
    book.apply(fill("E1", 1, 3990, instrument=ES))
    assert row(book, {ES.key: 3990, AAPL.key: 10}, ES.key)[:2] == (500, 500)


def test_compare_finds_the_holdings_that_differ_from_ib_s() -> None:
    book = book_of(fill("E1", 100, 10), fill("E2", 5, 200, instrument=MSFT), fill("E3", 1, 4000, instrument=ES))
    broker = [
        position(100),
        position(7, instrument=MSFT),
        position(0, instrument=ES),
        position(3, instrument=ES.with_details(con_id=1)),
    ]
    found = book.compare(broker)
    differences = sorted((x.instrument.con_id, x.ours, x.broker, x.difference) for x in found)
    assert differences == [(1, 0, 3, 3), (MSFT.con_id, 5, 7, 2), (ES.con_id, 1, 0, -1)]
    assert "MSFT (DU123): ours 5, IB's 7" in {str(x) for x in found}
    assert book_of(fill("E1", 10, 1), fill("E2", 10, 1, side=Side.SELL)).compare([position(0)]) == []


def replace_commission(value: Fill, amount: str) -> Fill:
    return replace(value, commission=d(amount))


def test_pnl_is_cross_checked_with_ib_s_account_values_within_a_tolerance() -> None:
    values = [
        AccountValue(account=ACCOUNT, tag="RealizedPnL", value="100.40", currency="USD"),
        AccountValue(account=ACCOUNT, tag="UnrealizedPnL", value="449", currency="USD"),
        AccountValue(account=ACCOUNT, tag="UnrealizedPnL", value="9999", currency="BASE"),
        AccountValue(account=ACCOUNT, tag="NetLiquidation", value="1", currency="USD"),
        AccountValue(account=ACCOUNT, tag="RealizedPnL", value="", currency="USD"),
    ]
    theirs = broker_pnl(values)
    assert (theirs.realized, theirs.unrealized) == (d("100.40"), 449)
    ours = book_of(fill("E1", 100, 10), fill("E2", 100, 12), fill("E3", 50, 13, side=Side.SELL)).pnl({AAPL.key: d(14)})
    assert pnl_differences(ours.total, theirs, d("0.5")) == ("unrealized PnL: ours 450, IB's 449",)
    assert pnl_differences(ours.total, theirs, d(1)) == ()
