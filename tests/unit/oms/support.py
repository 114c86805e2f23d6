"""Shared values for the order manager's tests: instruments, a fixed time, orders and IB reports."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ibbot.model import (
    AssetClass,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Position,
    Side,
)
from ibbot.oms import OrderManager, OrderRefs

NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)
AAPL = Instrument.stock("AAPL").with_details(con_id=265598)
MSFT = Instrument.stock("MSFT").with_details(con_id=272093)
ES = Instrument(symbol="ES", asset_class=AssetClass.FUTURE, exchange="CME", con_id=495512563,
                multiplier=Decimal(50), min_tick=Decimal("0.25"), expiry=date(2026, 3, 20))  # fmt: skip
ACCOUNT = "DU123"


def d(value: object) -> Decimal:
    return Decimal(str(value))


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def request(
    quantity: object = 100, side: Side = Side.BUY, instrument: Instrument = AAPL, ref: str = "ibb-1", **fields: object
) -> OrderRequest:
    if "limit_price" in fields and "order_type" not in fields:
        fields["order_type"] = OrderType.LIMIT
    return OrderRequest(instrument=instrument, side=side, quantity=d(quantity), order_ref=ref, account=ACCOUNT,
                        **fields)  # fmt: skip


def order(
    status: OrderStatus = OrderStatus.SUBMITTED,
    filled: object = 0,
    *,
    order_id: int | None = None,
    client_id: int = 1,
    perm_id: int = 0,
    **fields: object,
) -> Order:
    number = (0 if status is OrderStatus.NEW else 7) if order_id is None else order_id
    return Order(request=request(**fields), status=status, created=NOW, updated=NOW, filled=d(filled),
                 order_id=number, client_id=client_id if number else 0, perm_id=perm_id)  # fmt: skip


def update(
    word: str, filled: object = 0, remaining: object | None = None, *, of: Order | None = None, **fields: object
) -> OrderUpdate:
    quantity = of.request.quantity if of is not None else d(100)
    left = quantity - d(filled) if remaining is None else d(remaining)
    values: dict[str, object] = {"order_id": 7, "client_id": 1, "order_ref": "ibb-1", "time": at(1)}
    values.update(fields)
    return OrderUpdate(ib_status=word, filled=d(filled), remaining=left, **values)


def fill(
    exec_id: str,
    quantity: object,
    price: object,
    side: Side = Side.BUY,
    instrument: Instrument = AAPL,
    ref: str = "ibb-1",
    seconds: float = 2,
    **fields: object,
) -> Fill:
    values: dict[str, object] = {"order_id": 7, "client_id": 1, "account": ACCOUNT}
    values.update(fields)
    return Fill(exec_id=exec_id, instrument=instrument, side=side, quantity=d(quantity), price=d(price),
                time=at(seconds), order_ref=ref, **values)  # fmt: skip


def position(quantity: object, instrument: Instrument = AAPL, avg_cost: object = 0) -> Position:
    return Position(account=ACCOUNT, instrument=instrument, quantity=d(quantity), avg_cost=d(avg_cost))


def refs(seed: int = 1, moment: datetime = NOW) -> OrderRefs:
    return OrderRefs("ibb", random.Random(seed), lambda: moment)


def manager(seed: int = 1) -> OrderManager:
    return OrderManager(refs(seed))


def with_ref(value: Order, ref: str) -> Order:
    return replace(value, request=replace(value.request, order_ref=ref))
