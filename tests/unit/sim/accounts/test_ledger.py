"""The paper account's books: positions and IB's average cost, realized/unrealized/daily PnL, cash, what-if."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.sim.accounts.ledger import Ledger, Terms

AAPL = Terms(con_id=265598, sec_type="STK", currency="USD")
ES = Terms(con_id=495512563, sec_type="FUT", currency="USD", multiplier=D(50))
CALL = Terms(con_id=700001, sec_type="OPT", currency="USD", multiplier=D(100), underlying_con_id=265598)
EURUSD = Terms(con_id=12087792, sec_type="CASH", currency="USD", pair_currency="EUR")
SAP = Terms(con_id=14204, sec_type="STK", currency="EUR")


def ledger(cash: int = 100_000) -> Ledger:
    return Ledger(account="DU1234567", cash={"USD": D(cash)}, trading_day=date(2024, 3, 4))


def values(book: Ledger) -> dict[tuple[str, str], str]:
    return {(key, currency): value for key, value, currency in book.account_values()}


# --- positions, average cost, realized PnL ----------------------------------------------------------------


def test_opening_sets_ibs_average_cost_with_the_commission() -> None:
    book = ledger()
    result = book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("150"), commission=D("1"))
    assert (result.realized_pnl, result.position, result.avg_cost) == (None, D(100), D("150.01"))
    assert book.cash["USD"] == D(100_000) - D(15_000) - D(1)


def test_an_option_average_cost_includes_the_multiplier() -> None:
    book = ledger()
    result = book.apply_fill(terms=CALL, buy=True, quantity=D(2), price=D("1.50"), commission=D("1.30"))
    assert result.avg_cost == D("150.65")  # 1.50 x 100 + 1.30 / 2
    assert book.cash["USD"] == D(100_000) - D(300) - D("1.30")


def test_adding_averages_and_reducing_keeps_the_average() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("100"))
    book.apply_fill(terms=AAPL, buy=True, quantity=D(300), price=D("104"))
    assert book.positions[AAPL.con_id].quantity == D(400)
    row = book.position(AAPL.con_id)
    assert row is not None and row.average_cost == D(103)
    result = book.apply_fill(terms=AAPL, buy=False, quantity=D(100), price=D("110"), commission=D("1"))
    assert result.realized_pnl == D(699)  # (110 - 103) x 100 - 1
    assert result.avg_cost == D(103)


def test_closing_realizes_net_of_both_commissions() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("10"), commission=D("1"))
    result = book.apply_fill(terms=AAPL, buy=False, quantity=D(100), price=D("11"), commission=D("1"))
    assert (result.realized_pnl, result.position, result.avg_cost) == (D(98), D(0), D(0))
    assert book.cash["USD"] == D(100_098)
    row = book.position(AAPL.con_id)
    assert row is not None and (row.position, row.realized_pnl, row.unrealized_pnl) == (D(0), D(98), D(0))


def test_a_short_keeps_a_positive_average_cost_and_profits_when_the_price_falls() -> None:
    book = ledger()
    opened = book.apply_fill(terms=AAPL, buy=False, quantity=D(100), price=D("10"), commission=D("1"))
    assert (opened.position, opened.avg_cost) == (D(-100), D("9.99"))
    assert book.cash["USD"] == D(100_999)
    book.mark(AAPL.con_id, D("9.5"))
    row = book.position(AAPL.con_id)
    assert row is not None and (row.market_value, row.unrealized_pnl) == (D(-950), D(49))
    closed = book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("9"), commission=D("1"))
    assert closed.realized_pnl == D(98)


def test_a_flip_closes_then_opens_and_splits_the_commission() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("10"))
    result = book.apply_fill(terms=AAPL, buy=False, quantity=D(300), price=D("12"), commission=D("3"))
    assert result.realized_pnl == D(199)  # 2 x 100 - the closing third of the commission
    assert result.position == D(-200)
    assert result.avg_cost == D("11.99")  # 12 - 2 / 200
    back = book.apply_fill(terms=AAPL, buy=True, quantity=D(300), price=D("11"))
    assert back.position == D(100) and back.realized_pnl == D(198)  # (11.99 - 11) x 200


# --- futures and forex cash -------------------------------------------------------------------------------


def test_futures_move_only_variation_and_commission_through_cash() -> None:
    book = ledger()
    book.apply_fill(terms=ES, buy=True, quantity=D(2), price=D("5000"), commission=D("4.30"))
    assert book.cash["USD"] == D(100_000) - D("4.30")
    book.mark(ES.con_id, D("5010"))
    f = book.figures()
    assert f.futures_pnl == D(1000)  # 2 x 10 x 50
    assert f.net_liquidation == D(100_000) - D("4.30") + D(1000)
    assert f.gross_position_value == 0
    result = book.apply_fill(terms=ES, buy=False, quantity=D(2), price=D("5010"), commission=D("4.30"))
    assert result.realized_pnl == D(1000) - D("8.60")
    assert book.cash["USD"] == D(100_000) + D(1000) - D("8.60")


def test_forex_changes_cash_in_both_currencies() -> None:
    book = ledger()
    book.apply_fill(terms=EURUSD, buy=True, quantity=D(20_000), price=D("1.10"), commission=D("2"))
    assert book.cash == {"USD": D(100_000) - D(22_000) - D(2), "EUR": D(20_000)}
    assert book.rates["EUR"] == D("1.10")
    book.mark(EURUSD.con_id, D("1.12"))
    f = book.figures()
    assert f.net_liquidation == D(100_000) - D(2) + D(400)  # the EUR is now worth 22,400
    assert f.gross_position_value == 0  # the position's value lives in the cash balances
    v = values(book)
    assert (v[("CashBalance", "EUR")], v[("ExchangeRate", "EUR")]) == ("20000.00", "1.12")
    assert v[("CashBalance", "BASE")] == f"{D(78_000) - 2 + D(22_400):.2f}"
    sold = book.apply_fill(terms=EURUSD, buy=False, quantity=D(20_000), price=D("1.12"), commission=D("2"))
    assert sold.realized_pnl == D(400) - D(4)
    assert book.cash["EUR"] == 0


def test_a_stock_in_another_currency_counts_at_the_exchange_rate() -> None:
    book = ledger()
    book.set_rate("EUR", D("1.10"))
    book.apply_fill(terms=SAP, buy=True, quantity=D(100), price=D("100"), commission=D("3"), commission_currency="EUR")
    assert book.cash["EUR"] == D(-10_003)
    f = book.figures()
    assert f.net_liquidation == D(100_000) - D("3.3")  # only the commission is lost
    assert f.stock_value == D(11_000)


# --- marks, PnL, the day boundary -------------------------------------------------------------------------


def test_unrealized_follows_the_mark() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("150"), commission=D("1"))
    book.mark(AAPL.con_id, D("155"))
    row = book.position(AAPL.con_id)
    assert row is not None
    assert (row.market_price, row.market_value, row.unrealized_pnl) == (D(155), D(15_500), D(499))


def test_daily_pnl_starts_from_the_previous_close_and_resets_at_the_day_boundary() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("100"), commission=D("1"))
    book.mark(AAPL.con_id, D("103"))
    assert book.pnl().daily == D(299)
    book.roll_day(date(2024, 3, 5), closes={AAPL.con_id: D("102")})
    assert book.pnl().daily == D(100)  # 103 against yesterday's 102 close
    assert book.pnl().unrealized == D(299)
    book.apply_fill(terms=AAPL, buy=False, quantity=D(50), price=D("104"), commission=D("1"))
    book.mark(AAPL.con_id, D("101"))
    pnl = book.pnl()
    assert pnl.realized == D("198.5")  # (104 - 100.01) x 50 - 1
    assert pnl.daily == D(50) * D(101) - D(100) * D(102) + D(50) * D(104) - D(1)
    book.roll_day(date(2024, 3, 5))  # the same day again: nothing resets
    assert book.pnl().realized == D("198.5")


def test_positions_closed_yesterday_disappear_at_the_next_day() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(1), price=D("100"))
    book.apply_fill(terms=AAPL, buy=False, quantity=D(1), price=D("101"))
    assert [row.position for row in book.portfolio()] == [D(0)]
    book.roll_day(date(2024, 3, 5))
    assert book.portfolio() == []


# --- margin, buying power, what-if ------------------------------------------------------------------------


def test_reg_t_margin_and_buying_power_of_a_stock_position() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(400), price=D("100"))
    f = book.figures()
    assert (f.init_margin, f.maint_margin) == (D(20_000), D(10_000))
    assert (f.equity_with_loan, f.available_funds, f.excess_liquidity) == (D(100_000), D(80_000), D(90_000))
    assert f.buying_power == D(320_000)
    assert f.cushion == D("0.9")
    assert f.leverage == D("0.4")


def test_short_options_need_their_value_plus_a_fifth_of_the_underlying() -> None:
    book = ledger()
    book.mark(AAPL.con_id, D("150"))
    book.apply_fill(terms=CALL, buy=False, quantity=D(1), price=D("2"))
    f = book.figures()
    assert f.init_margin == D(200) + D(3000)  # 200 premium + 20% of 15,000
    assert f.equity_with_loan == f.net_liquidation + D(200)  # the short option's value is not in the ELV


def test_what_if_reports_margin_and_commission_without_changing_the_books() -> None:
    book = ledger()
    before = book.to_state()
    w = book.what_if(terms=AAPL, buy=True, quantity=D(100), price=D("150"), commission=D("1"))
    assert (w.init_before, w.init_change, w.init_after) == (D(0), D(7500), D(7500))
    assert (w.maint_after, w.equity_change, w.commission, w.commission_currency) == (D(3750), D(-1), D(1), "USD")
    assert book.to_state() == before
    fx = book.what_if(
        terms=EURUSD, buy=True, quantity=D(10_000), price=D("1.1"), commission=D(2), commission_currency="USD"
    )
    assert (fx.init_after, fx.commission_currency) == (D(330), "USD")  # 3% of 11,000


def test_an_order_beyond_buying_power_is_rejected_with_ibs_text() -> None:
    book = ledger(10_000)
    assert book.check_order(terms=AAPL, buy=True, quantity=D(100), price=D("150")) is None  # 7,500 margin
    rejection = book.check_order(terms=AAPL, buy=True, quantity=D(1000), price=D("150"), commission=D("5"))
    assert rejection is not None and rejection.code == 201
    assert rejection.text == (
        "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR "
        "EQUITY WITH LOAN VALUE [9995.00 USD] MUST EXCEED THE INITIAL MARGIN [75000.00 USD]"
    )


def test_closing_orders_are_always_accepted() -> None:
    book = ledger(10_000)
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("150"))
    book.mark(AAPL.con_id, D("50"))  # deep under water
    assert book.check_order(terms=AAPL, buy=False, quantity=D(100), price=D("50")) is None


# --- account values ---------------------------------------------------------------------------------------


def test_account_values_carry_ibs_keys() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("150"), commission=D("1"))
    v = values(book)
    assert v[("AccountCode", "")] == "DU1234567"
    assert v[("NetLiquidation", "USD")] == "99999.00"
    assert v[("TotalCashValue", "USD")] == "84999.00"
    assert v[("BuyingPower", "USD")] == f"{(D(99_999) - D(7500)) * 4:.2f}"
    assert v[("StockMarketValue", "USD")] == "15000.00"
    assert v[("UnrealizedPnL", "BASE")] == "-1.00"
    assert v[("Currency", "BASE")] == "BASE" and v[("RealCurrency", "BASE")] == "USD"
    assert v[("DayTradesRemaining", "")] == "-1"


# --- persistence and invariants ---------------------------------------------------------------------------


def test_the_books_survive_the_plain_state_form() -> None:
    book = ledger()
    book.apply_fill(terms=AAPL, buy=True, quantity=D(100), price=D("150"), commission=D("1"))
    book.apply_fill(terms=EURUSD, buy=True, quantity=D(10_000), price=D("1.1"), commission=D("2"))
    book.apply_fill(terms=ES, buy=False, quantity=D(1), price=D("5000"), commission=D("2.15"))
    book.mark(ES.con_id, D("4990"))
    book.roll_day(date(2024, 3, 5))
    state = json.loads(json.dumps(book.to_state()))
    restored = Ledger.from_state(state)
    assert restored.to_state() == state
    assert restored.account_values() == book.account_values()
    assert restored.portfolio() == book.portfolio()


fills = st.lists(
    st.tuples(
        st.sampled_from([AAPL, ES, CALL, EURUSD]),
        st.booleans(),
        st.integers(min_value=1, max_value=500),
        st.integers(min_value=50, max_value=150),
        st.integers(min_value=0, max_value=300),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(fills=fills, mark=st.integers(min_value=50, max_value=150))
def test_pnl_accounts_for_every_change_of_net_liquidation(
    fills: list[tuple[Terms, bool, int, int, int]], mark: int
) -> None:
    """NLV - starting cash == realized + unrealized, for any fills, at any mark; positions sum the fills."""
    book = Ledger(account="DU1", cash={"USD": D(1_000_000)}, trading_day=date(2024, 3, 4))
    expected: dict[int, D] = {}
    for terms, buy, qty, price, cents in fills:
        scale = D("0.01") if terms.sec_type == "CASH" else D(1)
        book.apply_fill(terms=terms, buy=buy, quantity=D(qty), price=D(price) * scale, commission=D(cents) / 100)
        expected[terms.con_id] = expected.get(terms.con_id, D(0)) + (qty if buy else -qty)
    for terms in (AAPL, ES, CALL, EURUSD):
        book.mark(terms.con_id, D(mark) * (D("0.01") if terms.sec_type == "CASH" else D(1)))
    pnl = book.pnl()
    assert book.figures().net_liquidation - D(1_000_000) == pytest.approx(pnl.realized + pnl.unrealized, abs=D("1e-12"))
    assert pnl.daily == pytest.approx(pnl.realized + pnl.unrealized, abs=D("1e-12"))  # the first day: all of it
    assert {c: p.quantity for c, p in book.positions.items()} == expected
