"""The fill engine on its own: an order from plain values to a fill, a commission and a ledger, no simulator."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ibbot.sim.accounts.ledger import Ledger, Terms
from ibbot.sim.trading.commissions import commission
from ibbot.sim.trading.fills import FillEngine, quote_at
from ibbot.sim.trading.orders import Action, OrderFilled, OrderSpec, OrderStatus, OrderType
from ibbot.sim.trading.working import Quote

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
AAPL = Terms(con_id=265598, sec_type="STK", currency="USD")
ES = Terms(con_id=495512563, sec_type="FUT", currency="USD", multiplier=D(50))


def engine() -> FillEngine:
    return FillEngine([Ledger(account="DU1", cash={"USD": D(100_000)})])


def buy(quantity: int, order_type: OrderType = OrderType.MKT, **terms: object) -> OrderSpec:
    return OrderSpec(
        order_id=int(str(terms.pop("order_id", 1))),
        account="DU1",
        con_id=AAPL.con_id,
        action=Action.BUY,
        quantity=D(quantity),
        order_type=order_type,
        **terms,  # type: ignore[arg-type]
    )


def test_a_resting_limit_fills_when_a_bar_reaches_it_and_the_ledger_books_it() -> None:
    fills = engine()
    placed = fills.submit(
        buy(10, OrderType.LMT, lmt_price=D("230.00")), terms=AAPL, quote=quote_at(D("230.50")), now=T0
    )
    assert placed.fills == []
    assert placed.events[0].order.status is OrderStatus.SUBMITTED

    done = fills.on_quote(AAPL.con_id, quote_at(D("229.90")), T0 + timedelta(minutes=1))

    [fill] = done.fills
    assert fill.quantity == D(10)
    assert fill.price == D("229.90")  # the touch it became marketable at
    assert fill.order.status is OrderStatus.FILLED
    assert fill.commission.amount == D("1.00") and fill.commission.currency == "USD"  # IB's minimum per order
    assert fill.booked.position == D(10) and fill.booked.realized_pnl is None
    book = fills.ledger("DU1")
    assert book.cash["USD"] == D(100_000) - D(10) * fill.price - D("1.00")
    row = book.position(AAPL.con_id)
    assert row is not None and row.position == D(10)


def test_a_market_order_takes_the_touch_and_closing_it_realizes_the_pnl_net_of_commissions() -> None:
    fills = engine()
    touch = Quote(bid=D("229.99"), ask=D("230.01"))
    opened = fills.submit(buy(100), terms=AAPL, quote=touch, now=T0)
    [entry] = opened.fills
    assert entry.price == D("230.01") and entry.booked.position == D(100)

    sell = OrderSpec(
        order_id=2, account="DU1", con_id=AAPL.con_id, action=Action.SELL, quantity=D(100), order_type=OrderType.MKT
    )
    later = Quote(bid=D("231.00"), ask=D("231.02"))
    [exit_] = fills.submit(sell, terms=AAPL, quote=later, now=T0 + timedelta(hours=1)).fills
    assert exit_.price == D("231.00") and exit_.booked.position == 0
    gross = D(100) * (D("231.00") - D("230.01"))
    assert exit_.booked.realized_pnl == gross - entry.commission.amount - exit_.commission.amount


def test_partial_fills_of_one_order_pay_the_minimum_commission_once() -> None:
    fills = engine()
    thin = Quote(bid=D("229.99"), ask=D("230.01"), bid_size=D(100), ask_size=D(100))
    first = fills.submit(buy(150), terms=AAPL, quote=thin, now=T0)
    second = fills.on_quote(AAPL.con_id, thin, T0 + timedelta(seconds=1))
    charged = [f.commission.amount for f in (*first.fills, *second.fills)]
    assert [f.quantity for f in (*first.fills, *second.fills)] == [D(100), D(50)]
    assert sum(charged) == D("1.00")  # 150 shares x 0.005 is under the 1.00 minimum of the order


def test_futures_are_charged_per_contract_and_booked_with_their_multiplier() -> None:
    fills = engine()
    spec = OrderSpec(
        order_id=7, account="DU1", con_id=ES.con_id, action=Action.BUY, quantity=D(2), order_type=OrderType.MKT
    )
    [fill] = fills.submit(spec, terms=ES, quote=quote_at(D("6000.25")), now=T0, min_tick=D("0.25")).fills
    schedule = commission(sec_type="FUT", quantity=D(2), price=fill.price, multiplier=D(50))
    assert fill.commission == schedule and fill.commission.amount > 0  # per contract on the fixed schedule
    row = fills.ledger("DU1").position(ES.con_id)
    assert row is not None and row.position == D(2)


def test_an_order_for_an_account_without_a_ledger_is_refused() -> None:
    spec = OrderSpec(
        order_id=1, account="DU9", con_id=AAPL.con_id, action=Action.BUY, quantity=D(1), order_type=OrderType.MKT
    )
    with pytest.raises(KeyError):
        engine().submit(spec, terms=AAPL, quote=quote_at(D(230)), now=T0)


def test_the_engine_events_are_the_matching_engines_own() -> None:
    done = engine().submit(buy(5), terms=AAPL, quote=quote_at(D(230)), now=T0)
    assert any(isinstance(e, OrderFilled) for e in done.events)
    assert [f.order for f in done.fills] == [e.order for e in done.events if isinstance(e, OrderFilled)]


def test_the_fill_engine_needs_no_simulator_session_or_wire_types() -> None:
    code = (
        "import sys, ibbot.sim.trading.fills; "
        "bad = sorted(m for m in sys.modules if m.startswith(('ibbot.protocol', 'ibbot.sim.simulator', "
        "'ibbot.sim.session', 'ibbot.sim.server', 'ibbot.sim.store', 'asyncio'))); print(bad)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
