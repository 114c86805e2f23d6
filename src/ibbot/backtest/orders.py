"""The framework's `OrderRequest` as the simulator's `OrderSpec`, and the ledger `Terms` of an instrument.

The backtester hands orders to the simulator's fill engine directly, without the wire: this is the whole of
the translation (what `broker/ib.py` and `sim/trading/translate.py` do over the socket, in two steps).
"""

from __future__ import annotations

from decimal import Decimal

from ibbot.model import AssetClass, Instrument, OrderRequest, OrderType, Side, TimeInForce
from ibbot.protocol.types import fast_constructor
from ibbot.sim.accounts.ledger import Terms
from ibbot.sim.trading import orders as sim

_TYPES: dict[OrderType, sim.OrderType] = {
    OrderType.MARKET: sim.OrderType.MKT,
    OrderType.LIMIT: sim.OrderType.LMT,
    OrderType.STOP: sim.OrderType.STP,
    OrderType.STOP_LIMIT: sim.OrderType.STP_LMT,
    OrderType.TRAILING_STOP: sim.OrderType.TRAIL,
    OrderType.TRAILING_STOP_LIMIT: sim.OrderType.TRAIL_LIMIT,
    OrderType.MARKET_ON_CLOSE: sim.OrderType.MOC,
    OrderType.LIMIT_ON_CLOSE: sim.OrderType.LOC,
}
_TIFS: dict[TimeInForce, sim.TimeInForce] = {tif: sim.TimeInForce(tif.value) for tif in TimeInForce}
_build_spec = fast_constructor(sim.OrderSpec)  # an OrderSpec per order, a fraction of its __init__'s cost


def order_spec(request: OrderRequest, *, order_id: int, con_id: int, account: str, parent_id: int = 0) -> sim.OrderSpec:
    """`request` as the fill engine takes it. A trailing order's amount travels in aux_price, as on the wire."""
    kind = request.order_type
    trailing = kind is OrderType.TRAILING_STOP or kind is OrderType.TRAILING_STOP_LIMIT
    # A day market order (nearly every order of a backtest) needs no table: an enum's hash is a Python call.
    return _build_spec(
        order_id=order_id,
        account=account,
        con_id=con_id,
        action=sim.Action.BUY if request.side is Side.BUY else sim.Action.SELL,
        quantity=request.quantity,
        order_type=sim.OrderType.MKT if kind is OrderType.MARKET else _TYPES[kind],
        lmt_price=None if trailing and request.limit_offset is not None else request.limit_price,
        aux_price=request.trail_amount if trailing else request.stop_price,
        trailing_percent=request.trail_percent if trailing else None,
        trail_stop_price=request.stop_price if trailing else None,
        lmt_price_offset=request.limit_offset if trailing else None,
        tif=sim.TimeInForce.DAY if request.tif is TimeInForce.DAY else _TIFS[request.tif],
        good_till_date=request.good_till,
        outside_rth=request.outside_rth,
        oca_group=request.oca_group,
        oca_type=request.oca_type,
        parent_id=parent_id,
        transmit=request.transmit,
        order_ref=request.order_ref,
        client_id=0,
        what_if=False,
        trigger_method=0,
        e_trade_only=False,
        firm_quote_only=False,
        nbbo_price_cap=None,
    )


def ledger_terms(instrument: Instrument, con_id: int) -> Terms:
    pair = instrument.symbol if instrument.asset_class is AssetClass.FOREX else ""
    return Terms(
        con_id=con_id,
        sec_type=instrument.asset_class.sec_type,
        currency=instrument.currency,
        multiplier=instrument.multiplier if instrument.multiplier else Decimal(1),
        pair_currency=pair,
    )
