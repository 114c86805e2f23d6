"""The ledger's cached views (portfolio rows, margin exposures, figures) always equal what a freshly restored ledger
computes from scratch, whatever sequence of fills, marks, rates and day rolls came before."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.sim.accounts.ledger import Ledger, Terms

AAPL = Terms(con_id=265598, sec_type="STK", currency="USD")
ES = Terms(con_id=495512563, sec_type="FUT", currency="USD", multiplier=D(50))
CALL = Terms(con_id=700001, sec_type="OPT", currency="USD", multiplier=D(100), underlying_con_id=265598)
EURUSD = Terms(con_id=12087792, sec_type="CASH", currency="USD", pair_currency="EUR")
SAP = Terms(con_id=14204, sec_type="STK", currency="EUR")
ALL = (AAPL, ES, CALL, EURUSD, SAP)

fill = st.tuples(
    st.just("fill"),
    st.sampled_from(ALL),
    st.booleans(),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=50, max_value=150),
)
mark = st.tuples(st.just("mark"), st.sampled_from(ALL), st.integers(min_value=50, max_value=150))
rate = st.tuples(st.just("rate"), st.integers(min_value=80, max_value=130))
roll = st.tuples(st.just("roll"))
steps = st.lists(st.one_of(fill, fill, mark, rate, roll), min_size=1, max_size=30)


def fresh(book: Ledger) -> Ledger:
    return Ledger.from_state(book.to_state())


@settings(max_examples=120, deadline=None)
@given(steps=steps)
def test_cached_views_match_a_fresh_computation_after_any_changes(steps: list[tuple[object, ...]]) -> None:
    book = Ledger(account="DU1", cash={"USD": D(1_000_000)}, trading_day=date(2024, 3, 4))
    day = date(2024, 3, 4)
    for step in steps:
        kind = step[0]
        if kind == "fill":
            _, terms, buy, qty, price = step
            assert isinstance(terms, Terms) and isinstance(qty, int) and isinstance(price, int)
            scale = D("0.01") if terms.sec_type == "CASH" else D(1)
            book.apply_fill(terms=terms, buy=bool(buy), quantity=D(qty), price=D(price) * scale, commission=D(1))
        elif kind == "mark":
            _, terms, price = step
            assert isinstance(terms, Terms) and isinstance(price, int)
            book.mark(terms.con_id, D(price) * (D("0.01") if terms.sec_type == "CASH" else D(1)))
        elif kind == "rate":
            assert isinstance(step[1], int)
            book.set_rate("EUR", D(step[1]) / 100)
        else:
            day += timedelta(days=1)
            book.roll_day(day)
        # Ask for every view after every step, so stale cache entries would be seen.
        again = fresh(book)
        assert book.available_funds() == again.available_funds() == again.figures().available_funds
        assert book.figures() == again.figures()
        assert book.portfolio() == again.portfolio()
        assert book.exposures() == again.exposures()
        assert book.pnl() == again.pnl()
        assert book.account_values() == again.account_values()


def test_a_copy_is_independent_of_its_original() -> None:
    book = Ledger(account="DU1", cash={"USD": D(100_000)}, trading_day=date(2024, 3, 4))
    book.apply_fill(terms=AAPL, buy=True, quantity=D(10), price=D(100))
    twin = book.copy()
    twin.apply_fill(terms=AAPL, buy=True, quantity=D(10), price=D(100))
    twin.mark(AAPL.con_id, D(120))
    assert book.positions[AAPL.con_id].quantity == 10 and book.marks[AAPL.con_id] == 100
    assert twin.to_state() != book.to_state() and fresh(book).to_state() == book.to_state()


def test_the_split_state_joins_back_into_the_same_books() -> None:
    book = Ledger(account="DU1", cash={"USD": D(100_000)}, trading_day=date(2024, 3, 4))
    book.apply_fill(terms=AAPL, buy=True, quantity=D(10), price=D(100), commission=D(1))
    book.apply_fill(terms=SAP, buy=False, quantity=D(5), price=D(90), commission=D(1))
    header = book.header_state()
    positions = [book.position_state(AAPL.con_id), book.position_state(SAP.con_id)]
    assert "positions" not in header and book.position_state(ES.con_id) is None
    joined = Ledger.from_state(header, [p for p in positions if p is not None])
    assert joined.to_state() == book.to_state()
