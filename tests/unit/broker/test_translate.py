"""The pure translations between ibbot's model and ib_async's objects, without sockets."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ib_async import CommissionReport as IbCommissionReport
from ib_async import Contract, ContractDetails, Execution, OrderStatus, Trade
from ib_async import Fill as IbFill
from ib_async import Order as IbOrder

from ibbot.broker import translate as tr
from ibbot.model import AssetClass, DataQuality, Instrument, OrderRequest, OrderType, Right, Side, TimeInForce

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL").with_details(con_id=265598, primary_exchange="NASDAQ")

INSTRUMENTS = [
    AAPL,
    Instrument.etf("SPY").with_details(con_id=756733, primary_exchange="ARCA"),
    Instrument.future("ES", expiry=date(2026, 12, 18)).with_details(
        con_id=495512563, multiplier=Decimal(50), local_symbol="ESZ6", trading_class="ES"
    ),
    Instrument.option("SPY", expiry=date(2026, 12, 18), strike="605.5", right="P").with_details(
        con_id=123, trading_class="SPY"
    ),
    Instrument(
        symbol="ES",
        asset_class=AssetClass.FUTURE_OPTION,
        exchange="CME",
        con_id=77,
        expiry=date(2026, 12, 18),
        strike=Decimal(6000),
        right=Right.CALL,
        multiplier=Decimal(50),
    ),
    Instrument.forex("EUR.USD").with_details(con_id=12087792),
    Instrument.index("SPX").with_details(con_id=416904),
]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.asset_class.name)
def test_every_asset_class_round_trips_through_a_contract(instrument: Instrument) -> None:
    contract = tr.to_contract(instrument)
    assert contract.secType == instrument.asset_class.sec_type
    assert tr.from_contract(contract, like=instrument) == instrument


def test_an_unqualified_future_names_its_month_and_a_qualified_one_its_day() -> None:
    future = Instrument.future("ES", expiry=date(2026, 12, 1))
    assert tr.to_contract(future).lastTradeDateOrContractMonth == "202612"
    assert tr.to_contract(future.with_details(con_id=5)).lastTradeDateOrContractMonth == "20261201"
    assert tr.to_contract(Instrument.stock("AAPL")).multiplier == ""  # a multiplier of 1 is not sent


def test_contract_details_fill_in_the_instrument() -> None:
    details = ContractDetails(
        contract=Contract(secType="STK", conId=756733, symbol="SPY", exchange="SMART", primaryExchange="ARCA"),
        minTick=0.01,
        timeZoneId="US/Eastern",
        longName="SPDR S&P 500 ETF TRUST",
        stockType="ETF",
        tradingHours="20261118:0400-20261118:2000;20261119:0400-20261119:2000",
        liquidHours="20261118:0930-20261118:1600;20261119:CLOSED",
    )
    spy = tr.from_details(details)
    assert [(s.start, s.end) for s in spy.liquid_hours] == [
        (datetime(2026, 11, 18, 14, 30, tzinfo=UTC), datetime(2026, 11, 18, 21, 0, tzinfo=UTC))
    ]
    assert len(spy.trading_hours) == 2
    assert spy.asset_class is AssetClass.ETF and spy.con_id == 756733 and spy.primary_exchange == "ARCA"
    assert spy.min_tick == Decimal("0.01") and spy.time_zone == "US/Eastern"
    assert spy.description == "SPDR S&P 500 ETF TRUST"
    forex = ContractDetails(contract=Contract(secType="CASH", conId=1, symbol="EUR", currency="USD"), minTick=5e-05)
    assert tr.from_details(forex).min_tick == Decimal("0.00005")


def request(kind: OrderType, **fields: object) -> OrderRequest:
    return OrderRequest(instrument=AAPL, side=Side.SELL, quantity=Decimal(7), order_type=kind, **fields)  # type: ignore[arg-type]


ORDERS = [
    request(OrderType.MARKET),
    request(OrderType.LIMIT, limit_price=Decimal("150.25")),
    request(OrderType.STOP, stop_price=Decimal("140.10")),
    request(OrderType.STOP_LIMIT, limit_price=Decimal("139.5"), stop_price=Decimal("140")),
    request(OrderType.TRAILING_STOP, trail_amount=Decimal("1.25"), stop_price=Decimal("148")),
    request(OrderType.TRAILING_STOP, trail_percent=Decimal("0.5")),
    request(
        OrderType.TRAILING_STOP_LIMIT, trail_amount=Decimal(2), stop_price=Decimal(147), limit_offset=Decimal("0.1")
    ),
    request(OrderType.MARKET_ON_CLOSE),
    request(OrderType.LIMIT_ON_CLOSE, limit_price=Decimal(151)),
    request(
        OrderType.LIMIT,
        limit_price=Decimal("150.01"),
        tif=TimeInForce.GTD,
        good_till=datetime(2026, 11, 20, 21, 0, tzinfo=UTC),
        outside_rth=True,
        account="DU1234567",
        order_ref="bot-42",
        oca_group="exit-1",
        oca_type=2,
        transmit=False,
    ),
    request(OrderType.LIMIT, limit_price=Decimal(1), tif=TimeInForce.IOC),
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda r: f"{r.order_type.name}-{r.tif.name}")
def test_every_order_type_and_field_round_trips(order: OrderRequest) -> None:
    ib_order = tr.to_ib_order(order, order_id=11, parent_id=10)
    assert (ib_order.orderId, ib_order.parentId, ib_order.orderType) == (11, 10, order.order_type.value)
    assert ib_order.orderRef == order.order_ref and ib_order.transmit is order.transmit
    # What comes back from TWS is floats: read them as ib_async would hand them to us.
    echoed = IbOrder(
        **{
            name: float(value) if isinstance(value, Decimal) else value
            for name, value in vars(ib_order).items()
            if not name.startswith("_")
        }
    )
    assert tr.from_ib_order(echoed, tr.to_contract(order.instrument), like=order.instrument) == order


def test_the_ib_fields_of_a_trailing_stop_limit() -> None:
    order = tr.to_ib_order(ORDERS[6])
    assert order.auxPrice == Decimal(2) and order.trailStopPrice == Decimal(147)
    assert order.lmtPriceOffset == Decimal("0.1")
    assert tr.to_ib_order(ORDERS[9]).goodTillDate == "20261120-21:00:00"


@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100000), places=4))
def test_prices_reach_ib_exactly_and_come_back_exactly(price: Decimal) -> None:
    order = tr.to_ib_order(request(OrderType.LIMIT, limit_price=price))
    assert str(order.lmtPrice) == str(price)  # ib_async writes a Decimal with str: exact on the wire
    assert tr.dec(float(price)) == price  # and a float from the wire is read through its shortest repr


def test_unset_values_are_none() -> None:
    assert tr.dec(tr.UNSET_DOUBLE) is None and tr.dec(tr.UNSET_INTEGER) is None and tr.dec(math.nan) is None
    assert tr.dec(0.1) == Decimal("0.1") and tr.dec(3) == Decimal(3)


def test_a_trade_becomes_an_order_update() -> None:
    order = IbOrder(orderId=5, clientId=1, permId=99, orderRef="r", totalQuantity=10.0, action="BUY", orderType="MKT")
    trade = Trade(contract=tr.to_contract(AAPL), order=order, orderStatus=OrderStatus(orderId=5, status="Submitted"))
    update = tr.order_update(trade, NOW)
    assert (update.order_id, update.ib_status, update.order_ref, update.perm_id) == (5, "Submitted", "r", 99)
    assert update.remaining == 10 and update.filled == 0 and update.avg_fill_price is None
    trade.orderStatus = OrderStatus(orderId=5, status="Filled", filled=10.0, remaining=0.0, avgFillPrice=150.25)
    done = tr.order_update(trade, NOW)
    assert done.filled == 10 and done.remaining == 0 and done.avg_fill_price == Decimal("150.25")


def test_an_execution_becomes_a_fill_with_its_commission_once_known() -> None:
    execution = Execution(
        execId="e1", time=NOW, acctNumber="DU1", side="SLD", shares=3.0, price=99.99, permId=7, clientId=2,
        orderId=4, orderRef="ref",
    )  # fmt: skip
    fill = IbFill(tr.to_contract(AAPL), execution, IbCommissionReport(), NOW)
    first = tr.fill_from(fill, instrument=AAPL)
    assert first.side is Side.SELL and first.quantity == 3 and first.price == Decimal("99.99")
    assert first.commission is None and first.order_ref == "ref"
    fill.commissionReport.execId, fill.commissionReport.commission, fill.commissionReport.currency = "e1", 1.05, "USD"
    assert tr.fill_from(fill, instrument=AAPL).commission == Decimal("1.05")
    report = tr.commission_from(fill.commissionReport, NOW)
    assert report.exec_id == "e1" and report.commission == Decimal("1.05") and report.currency == "USD"


def test_a_ticker_becomes_a_quote_with_its_quality() -> None:
    ticker = SimpleNamespace(
        marketDataType=3, bid=1.0, ask=1.5, last=-1.0, bidSize=100.0, askSize=200.0, lastSize=math.nan,
        volume=5.0, close=1.2,
    )  # fmt: skip
    quote = tr.quote_from(ticker, AAPL, NOW)
    assert quote.quality is DataQuality.DELAYED and quote.bid == 1.0 and math.isnan(quote.last)
    live = replace(quote, quality=DataQuality.LIVE)
    ticker.marketDataType = 1
    assert tr.quote_from(ticker, AAPL, NOW) == live
    assert tr.quote_from(ticker, AAPL, NOW, delayed=True).quality is DataQuality.DELAYED


def test_a_daily_bar_starts_at_midnight_where_the_instrument_trades() -> None:
    bar = SimpleNamespace(
        date=date(2026, 11, 18), open=1.0, high=2.0, low=0.5, close=1.5, volume=10, average=1.2, barCount=3
    )
    ny = AAPL.with_details(time_zone="America/New_York")
    assert tr.bar_from(bar, ny, "1 day").time == datetime(2026, 11, 18, 5, 0, tzinfo=UTC)
    bar.date = datetime(2026, 11, 18, 14, 31, tzinfo=UTC)
    assert tr.bar_from(bar, ny, "1 min").time == bar.date


def test_ib_times_both_ways() -> None:
    assert tr.parse_ib_time("20261120-21:00:00") == datetime(2026, 11, 20, 21, tzinfo=UTC)
    assert tr.parse_ib_time("20261120 16:00:00 US/Eastern") == datetime(2026, 11, 20, 21, tzinfo=UTC)
    assert tr.parse_ib_time("") is None
    with pytest.raises(ValueError, match="aware"):
        tr.format_ib_time(datetime(2026, 1, 1))  # noqa: DTZ001


def test_a_completed_order_takes_its_quantities_from_the_order_not_ib_asyncs_empty_status() -> None:
    order = IbOrder(orderId=4, permId=77, action="BUY", totalQuantity=10, orderType="MKT", orderRef="r-1")
    order.filledQuantity = 6.0
    trade = Trade(tr.to_contract(AAPL), order, OrderStatus(orderId=4, status="Cancelled"), [], [])
    reported = tr.reported_order(trade, NOW, completed=True)
    assert (reported.update.filled, reported.update.remaining) == (Decimal(6), Decimal(4))
    assert reported.update.ib_status == "Cancelled"
    open_order = tr.reported_order(trade, NOW)  # an open order's status has its own quantities: unchanged
    assert (open_order.update.filled, open_order.update.remaining) == (Decimal(0), Decimal(10))


def test_a_completed_order_without_a_filled_quantity_keeps_the_status() -> None:
    order = IbOrder(orderId=4, permId=77, action="BUY", totalQuantity=10, orderType="MKT")
    trade = Trade(tr.to_contract(AAPL), order, OrderStatus(orderId=4, status="Cancelled"), [], [])
    assert tr.reported_order(trade, NOW, completed=True).update.filled == 0
