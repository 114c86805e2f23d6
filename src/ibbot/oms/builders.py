"""Builders for the order types of IB's guide (market, limit, stop, stop-limit, trailing), brackets and OCA groups.

Each builder returns an `OrderRequest` (a bracket, three of them); `ibbot.oms.validation` checks ticks, sizes and
market rules afterwards. A bracket is transmitted as IB requires: the parent and the take profit go with
`transmit=False`, the stop loss, sent last, with `transmit=True`, so TWS releases all three together and never a
parent without its protection. Children name the parent's `order_ref` and take the opposite side and the same
quantity; IB cancels the other child when one fills.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ibbot.errors import OrderError
from ibbot.model import Instrument, OrderRequest, OrderType, Side, TimeInForce
from ibbot.oms.refs import OrderRefs

Number = Decimal | int | float | str


def _decimal(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _optional(value: Number | None) -> Decimal | None:
    return None if value is None else _decimal(value)


def _request(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    order_type: OrderType,
    *,
    tif: TimeInForce,
    good_till: datetime | None,
    outside_rth: bool,
    strategy: str,
    account: str,
    order_ref: str,
    **prices: Decimal | None,
) -> OrderRequest:
    return OrderRequest(
        instrument=instrument,
        side=side,
        quantity=_decimal(quantity),
        order_type=order_type,
        tif=tif,
        good_till=good_till,
        outside_rth=outside_rth,
        strategy=strategy,
        account=account,
        order_ref=order_ref,
        **prices,  # type: ignore[arg-type]
    )


def market(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    *,
    tif: TimeInForce = TimeInForce.DAY,
    good_till: datetime | None = None,
    outside_rth: bool = False,
    strategy: str = "",
    account: str = "",
    order_ref: str = "",
) -> OrderRequest:
    return _request(instrument, side, quantity, OrderType.MARKET, tif=tif, good_till=good_till,
                    outside_rth=outside_rth, strategy=strategy, account=account, order_ref=order_ref)  # fmt: skip


def limit(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    price: Number,
    *,
    tif: TimeInForce = TimeInForce.DAY,
    good_till: datetime | None = None,
    outside_rth: bool = False,
    strategy: str = "",
    account: str = "",
    order_ref: str = "",
) -> OrderRequest:
    return _request(instrument, side, quantity, OrderType.LIMIT, tif=tif, good_till=good_till,
                    outside_rth=outside_rth, strategy=strategy, account=account, order_ref=order_ref,
                    limit_price=_decimal(price))  # fmt: skip


def stop(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    stop_price: Number,
    *,
    tif: TimeInForce = TimeInForce.DAY,
    good_till: datetime | None = None,
    outside_rth: bool = False,
    strategy: str = "",
    account: str = "",
    order_ref: str = "",
) -> OrderRequest:
    return _request(instrument, side, quantity, OrderType.STOP, tif=tif, good_till=good_till,
                    outside_rth=outside_rth, strategy=strategy, account=account, order_ref=order_ref,
                    stop_price=_decimal(stop_price))  # fmt: skip


def stop_limit(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    stop_price: Number,
    limit_price: Number,
    *,
    tif: TimeInForce = TimeInForce.DAY,
    good_till: datetime | None = None,
    outside_rth: bool = False,
    strategy: str = "",
    account: str = "",
    order_ref: str = "",
) -> OrderRequest:
    return _request(instrument, side, quantity, OrderType.STOP_LIMIT, tif=tif, good_till=good_till,
                    outside_rth=outside_rth, strategy=strategy, account=account, order_ref=order_ref,
                    stop_price=_decimal(stop_price), limit_price=_decimal(limit_price))  # fmt: skip


def trailing_stop(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    *,
    amount: Number | None = None,
    percent: Number | None = None,
    stop_price: Number | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    good_till: datetime | None = None,
    outside_rth: bool = False,
    strategy: str = "",
    account: str = "",
    order_ref: str = "",
) -> OrderRequest:
    """A trailing stop by `amount` (price units) or by `percent`; `stop_price` is the initial stop, if any."""
    return _request(instrument, side, quantity, OrderType.TRAILING_STOP, tif=tif, good_till=good_till,
                    outside_rth=outside_rth, strategy=strategy, account=account, order_ref=order_ref,
                    trail_amount=_optional(amount), trail_percent=_optional(percent),
                    stop_price=_optional(stop_price))  # fmt: skip


def trailing_stop_limit(
    instrument: Instrument,
    side: Side,
    quantity: Number,
    *,
    limit_offset: Number,
    amount: Number | None = None,
    percent: Number | None = None,
    stop_price: Number | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    good_till: datetime | None = None,
    outside_rth: bool = False,
    strategy: str = "",
    account: str = "",
    order_ref: str = "",
) -> OrderRequest:
    """A trailing stop that sends a limit `limit_offset` away from the stop when it triggers."""
    return _request(instrument, side, quantity, OrderType.TRAILING_STOP_LIMIT, tif=tif, good_till=good_till,
                    outside_rth=outside_rth, strategy=strategy, account=account, order_ref=order_ref,
                    trail_amount=_optional(amount), trail_percent=_optional(percent),
                    stop_price=_optional(stop_price), limit_offset=_decimal(limit_offset))  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Bracket:
    entry: OrderRequest
    take_profit: OrderRequest
    stop_loss: OrderRequest

    @property
    def requests(self) -> tuple[OrderRequest, OrderRequest, OrderRequest]:
        """In the order they must be sent: the last one transmits all three."""
        return (self.entry, self.take_profit, self.stop_loss)


def bracket(
    entry: OrderRequest,
    take_profit: Number | OrderRequest,
    stop_loss: Number | OrderRequest,
    *,
    refs: OrderRefs | None = None,
) -> Bracket:
    """Entry, take profit (a limit at a price, or any request) and stop loss (a stop at a price, or any request).

    The entry needs an `order_ref` for the children to name, or `refs` to issue one (and the children's)."""

    def ref_for(request: OrderRequest) -> str:
        if request.order_ref:
            return request.order_ref
        if refs is None:
            raise OrderError(f"bracket on {entry.instrument}: an order_ref or refs= is needed to link the children")
        return refs.next()

    parent = replace(entry, order_ref=ref_for(entry), transmit=False, parent_ref="")
    exit_side = entry.side.opposite

    def inherit(child: OrderRequest) -> OrderRequest:
        return replace(child, tif=entry.tif, good_till=entry.good_till, outside_rth=entry.outside_rth,
                       strategy=entry.strategy, account=entry.account)  # fmt: skip

    if not isinstance(take_profit, OrderRequest):
        take_profit = inherit(limit(entry.instrument, exit_side, entry.quantity, take_profit))
    if not isinstance(stop_loss, OrderRequest):
        stop_loss = inherit(stop(entry.instrument, exit_side, entry.quantity, stop_loss))
    for child, name in ((take_profit, "take profit"), (stop_loss, "stop loss")):
        if child.instrument.key != entry.instrument.key or child.side is not exit_side:
            raise OrderError(f"bracket on {entry.instrument}: the {name} must {exit_side.value} the same instrument")
        if child.quantity != entry.quantity:
            raise OrderError(
                f"bracket on {entry.instrument}: the {name} must be for {entry.quantity}, not {child.quantity}"
            )
    _check_prices(entry, take_profit.limit_price, stop_loss.stop_price)
    return Bracket(
        entry=parent,
        take_profit=replace(take_profit, order_ref=ref_for(take_profit), parent_ref=parent.order_ref, transmit=False),
        stop_loss=replace(stop_loss, order_ref=ref_for(stop_loss), parent_ref=parent.order_ref, transmit=True),
    )


def _check_prices(entry: OrderRequest, profit_at: Decimal | None, loss_at: Decimal | None) -> None:
    """Take profit beyond the entry's limit, stop loss short of it, for the entry's side."""
    sign = entry.side.sign
    above, below = ("above", "below") if entry.side is Side.BUY else ("below", "above")
    if profit_at is not None and loss_at is not None and (profit_at - loss_at) * sign <= 0:
        raise OrderError(
            f"bracket on {entry.instrument}: the take profit {profit_at} must be {above} the stop loss {loss_at}"
        )
    entry_at = entry.limit_price
    if entry_at is not None and profit_at is not None and (profit_at - entry_at) * sign <= 0:
        raise OrderError(
            f"bracket on {entry.instrument}: the take profit {profit_at} must be {above} the entry {entry_at}"
        )
    if entry_at is not None and loss_at is not None and (entry_at - loss_at) * sign <= 0:
        raise OrderError(f"bracket on {entry.instrument}: the stop loss {loss_at} must be {below} the entry {entry_at}")


class OcaType(enum.IntEnum):
    """IB's ocaType: what the others do when one order of the group fills."""

    CANCEL_WITH_BLOCK = 1  # cancel the others; overfill protection
    REDUCE_WITH_BLOCK = 2  # reduce the others' size by the fill; overfill protection
    REDUCE_NON_BLOCK = 3  # reduce the others' size, without the protection


def oca(
    requests: Iterable[OrderRequest], group: str, type: OcaType = OcaType.CANCEL_WITH_BLOCK
) -> tuple[OrderRequest, ...]:
    """The requests as one-cancels-all group `group`."""
    members = tuple(requests)
    if not group.strip():
        raise OrderError("an OCA group needs a name")
    if len(members) < 2:
        raise OrderError(f"OCA group {group!r} needs at least two orders, got {len(members)}")
    return tuple(replace(request, oca_group=group, oca_type=int(OcaType(type))) for request in members)
