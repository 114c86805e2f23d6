from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ibbot.errors import OrderError
from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce

AAPL = Instrument.stock("AAPL")
NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)


def test_a_market_order_needs_only_a_side_and_a_positive_quantity() -> None:
    request = OrderRequest(instrument=AAPL, side=Side.SELL, quantity=Decimal(10))
    assert request.order_type is OrderType.MARKET and request.tif is TimeInForce.DAY
    assert request.signed_quantity == -10


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": Decimal(0)}, "positive"),
        ({"quantity": Decimal("-1")}, "positive"),
        ({"quantity": Decimal("NaN")}, "positive"),
        ({"quantity": 5}, "positive"),
        ({"order_type": OrderType.LIMIT}, "limit price"),
        ({"order_type": OrderType.STOP}, "stop price"),
        ({"order_type": OrderType.STOP_LIMIT, "limit_price": Decimal(1)}, "stop price"),
        ({"order_type": OrderType.TRAILING_STOP}, "exactly one"),
        (
            {"order_type": OrderType.TRAILING_STOP, "trail_amount": Decimal(1), "trail_percent": Decimal(1)},
            "exactly one",
        ),
        ({"order_type": OrderType.TRAILING_STOP_LIMIT, "trail_amount": Decimal(1)}, "limit_offset"),
        ({"tif": TimeInForce.GTD}, "good_till"),
        ({"tif": TimeInForce.GTD, "good_till": datetime(2026, 1, 6)}, "aware"),
        ({"order_type": OrderType.LIMIT, "limit_price": Decimal("Infinity")}, "finite"),
    ],
)
def test_meaningless_requests_are_refused_with_the_reason(fields: dict[str, object], message: str) -> None:
    spec: dict[str, object] = {"instrument": AAPL, "side": Side.BUY, "quantity": Decimal(1), **fields}
    with pytest.raises(OrderError, match=message):
        OrderRequest(**spec)  # type: ignore[arg-type]


def test_an_order_knows_what_remains() -> None:
    request = OrderRequest(instrument=AAPL, side=Side.BUY, quantity=Decimal(10), order_ref="ib-1")
    order = Order(request=request, status=OrderStatus.PARTIALLY_FILLED, created=NOW, updated=NOW, filled=Decimal(4))
    assert order.remaining == 6 and order.order_ref == "ib-1" and order.status.is_working


def test_terminal_states_are_filled_cancelled_and_rejected() -> None:
    terminal = {status for status in OrderStatus if status.is_terminal}
    assert terminal == {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}


def test_a_fill_s_notional_includes_the_multiplier() -> None:
    es = Instrument.future("ES").with_details(multiplier=Decimal(50))
    fill = Fill(exec_id="e1", instrument=es, side=Side.SELL, quantity=Decimal(2), price=Decimal("5000.25"), time=NOW)
    assert fill.notional == Decimal("500025.00") and fill.signed_quantity == -2
