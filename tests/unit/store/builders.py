"""Values the journal tests share: an instrument, a request and a fill with every field set to a non-default."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ibbot.model import (
    AssetClass,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Right,
    Session,
    Side,
    TimeInForce,
)

T0 = datetime(2026, 3, 4, 14, 30, 0, 123456, tzinfo=UTC)

OPTION = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.OPTION,
    exchange="SMART",
    currency="USD",
    primary_exchange="CBOE",
    con_id=123456789,
    multiplier=Decimal("100"),
    expiry=date(2026, 6, 19),
    strike=Decimal("190.50"),
    right=Right.PUT,
    local_symbol="AAPL  260619P00190500",
    trading_class="AAPL",
    min_tick=Decimal("0.010"),
    time_zone="America/New_York",
    trading_hours=(Session(start=T0, end=T0 + timedelta(hours=6, minutes=30)),),
    liquid_hours=(Session(start=T0 + timedelta(minutes=1), end=T0 + timedelta(hours=6)),),
    description="AAPL Jun26 190.5 P",
)
STOCK = Instrument.stock("MSFT", primary_exchange="NASDAQ")


def request(order_ref: str = "s1-0001", **changes: Any) -> OrderRequest:
    """A stop-limit GTD request with every field away from its default."""
    full = OrderRequest(
        instrument=OPTION,
        side=Side.SELL,
        quantity=Decimal("3.0"),
        order_type=OrderType.STOP_LIMIT,
        limit_price=Decimal("4.150"),
        stop_price=Decimal("4.20"),
        trail_amount=None,
        trail_percent=None,
        limit_offset=Decimal("0.05"),
        tif=TimeInForce.GTD,
        good_till=T0 + timedelta(days=2),
        outside_rth=True,
        account="DU123456",
        strategy="momentum",
        order_ref=order_ref,
        parent_ref="s1-0000",
        oca_group="oca-7",
        oca_type=2,
        transmit=False,
    )
    return replace(full, **changes)


def order(req: OrderRequest, status: OrderStatus = OrderStatus.WORKING, **changes: Any) -> Order:
    base = Order(
        request=req,
        status=status,
        created=T0,
        updated=T0 + timedelta(seconds=1),
        order_id=17,
        perm_id=1_900_000_001,
        client_id=3,
        filled=Decimal("0"),
        avg_fill_price=None,
        reason="",
        external=False,
    )
    return replace(base, **changes)


def fill(exec_id: str = "0000e0d5.6543.01.01", **changes: Any) -> Fill:
    base = Fill(
        exec_id=exec_id,
        instrument=OPTION,
        side=Side.SELL,
        quantity=Decimal("1.00"),
        price=Decimal("4.1500"),
        time=T0 + timedelta(seconds=5),
        order_ref="s1-0001",
        order_id=17,
        perm_id=1_900_000_001,
        client_id=3,
        account="DU123456",
        commission=Decimal("0.6500"),
        commission_currency="USD",
        realized_pnl=Decimal("-12.25"),
    )
    return replace(base, **changes)
