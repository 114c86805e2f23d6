"""The engine's prices: reference prices and ticks of orders, commissions per asset class, quotes from the book."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from ibbot.protocol.types import Order
from ibbot.sim.accounts.views import terms_of
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.feed import Quote as FeedQuote
from ibbot.sim.trading.orders import OrderSpec
from ibbot.sim.trading.pricing import commission_of, engine_quote, reference_price, tick_at
from ibbot.sim.trading.translate import to_spec
from ibbot.sim.trading.working import Quote

NY = ZoneInfo("US/Eastern")
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
MASTER = build_security_master(NOW)


def instrument(con_id: int) -> Instrument:
    found = MASTER.by_con_id(con_id)
    assert found is not None
    return found


AAPL, EURUSD = instrument(265598), instrument(12087792)


def spec_of(order: Order, inst: Instrument = AAPL) -> OrderSpec:
    spec = to_spec(order, order_id=1, client_id=2, account="DU1", instrument=inst, zone=NY)
    assert isinstance(spec, OrderSpec)
    return spec


def test_ticks_follow_the_market_rule_at_the_order_price() -> None:
    assert tick_at(AAPL, D("230")) == D("0.01")
    assert tick_at(AAPL, D("0.5")) == D("0.0001")
    market = Quote(bid=D("10.00"), ask=D("10.01"))
    assert reference_price(spec_of(Order(action="BUY", total_quantity=D(1), order_type="MKT")), market) == D("10.01")
    trail = Order(action="SELL", total_quantity=D(1), order_type="TRAIL", aux_price=0.5)
    assert reference_price(spec_of(trail), market) == D("10.00")  # a trailing amount is not a price


def test_engine_quote_counts_a_trade_only_when_told() -> None:
    feed = FeedQuote(1, 0, 10.0, 10.01, 300, 400, 10.01, 100, 5, 0, None, None, None, None, None, 2)
    assert engine_quote(feed, traded=False).last is None
    traded = engine_quote(feed, traded=True)
    assert (traded.bid, traded.ask, traded.ask_size, traded.last) == (D("10.0"), D("10.01"), D(400), D("10.01"))


def test_terms_and_commissions_per_asset_class() -> None:
    assert terms_of(EURUSD).pair_currency == "EUR" and terms_of(AAPL).multiplier == D(1)
    assert commission_of(AAPL, D(100), D(230)).amount == D("1.00")
    assert commission_of(EURUSD, D(100_000), D("1.1")).amount == D("2.20")
