"""Client requests of the order family: place, cancel, open/completed orders, executions, option exercise.

placeOrder's long field walk lives in `order_layout`; this module owns the typed requests and the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import SV, ClientMsgId
from ibbot.protocol.requests.base import FROZEN, Decoder, Request, read_contract, versioned_empty
from ibbot.protocol.requests.order_layout import read_place_order_body
from ibbot.protocol.types import Contract, Order


@dataclass(**FROZEN)
class PlaceOrder(Request):
    """A new order, or a modification when `order_id` is already live; `order.order_id` equals `order_id`."""

    msg_id = ClientMsgId.PLACE_ORDER
    order_id: int
    contract: Contract
    order: Order


@dataclass(**FROZEN)
class CancelOrder(Request):
    msg_id = ClientMsgId.CANCEL_ORDER
    order_id: int
    manual_cancel_order_time: str = ""  # sent from server version 169


@dataclass(**FROZEN)
class ReqOpenOrders(Request):
    """This client's open orders."""

    msg_id = ClientMsgId.REQ_OPEN_ORDERS


@dataclass(**FROZEN)
class ReqAllOpenOrders(Request):
    """Open orders of every client and of TWS itself."""

    msg_id = ClientMsgId.REQ_ALL_OPEN_ORDERS


@dataclass(**FROZEN)
class ReqAutoOpenOrders(Request):
    """clientId 0 only: bind TWS-entered orders to this client (auto_bind) and report new ones."""

    msg_id = ClientMsgId.REQ_AUTO_OPEN_ORDERS
    auto_bind: bool


@dataclass(**FROZEN)
class ReqGlobalCancel(Request):
    """Cancel every open order, whichever client placed it."""

    msg_id = ClientMsgId.REQ_GLOBAL_CANCEL


@dataclass(**FROZEN)
class ReqCompletedOrders(Request):
    msg_id = ClientMsgId.REQ_COMPLETED_ORDERS
    api_only: bool


@dataclass(**FROZEN)
class ExecutionFilter:
    """Which executions reqExecutions asks for; empty strings and client_id 0 match everything."""

    client_id: int = 0
    acct_code: str = ""
    time: str = ""  # "yyyymmdd hh:mm:ss [TZ]": executions at or after it
    symbol: str = ""
    sec_type: str = ""
    exchange: str = ""
    side: str = ""  # BUY / SELL


@dataclass(**FROZEN)
class ReqExecutions(Request):
    msg_id = ClientMsgId.REQ_EXECUTIONS
    req_id: int
    filter: ExecutionFilter = field(default_factory=ExecutionFilter)


@dataclass(**FROZEN)
class ExerciseOptions(Request):
    """Exercise (action 1) or lapse (action 2) an option position; the contract has no primary exchange."""

    msg_id = ClientMsgId.EXERCISE_OPTIONS
    req_id: int
    contract: Contract
    exercise_action: int
    exercise_quantity: int
    account: str
    override: bool


def _place_order(r: FieldReader, sv: int) -> PlaceOrder:
    # No version field here (dropped at server version 145, ORDER_CONTAINER).
    order_id = r.int("orderId")
    contract, order = read_place_order_body(r, sv, order_id)
    return PlaceOrder(order_id=order_id, contract=contract, order=order)


def decode_place_order(fields: list[str], sv: int) -> tuple[PlaceOrder, int]:
    """Decode a placeOrder frame and count the fields left unread (the runtime decoder ignores them;
    a non-zero count from a real client means our walk is out of step with its layout)."""
    r = FieldReader(fields)
    request = _place_order(r, sv)
    return request, r.remaining()


def _cancel_order(r: FieldReader, sv: int) -> CancelOrder:
    r.int("version")
    order_id = r.int("orderId")
    # ibapi 9.81 never sends the manual time; tolerate its absence whatever the version.
    manual_time = r.str("manualCancelOrderTime") if sv >= SV.MANUAL_ORDER_TIME and r.remaining() else ""
    return CancelOrder(order_id=order_id, manual_cancel_order_time=manual_time)


def _auto_open_orders(r: FieldReader, sv: int) -> ReqAutoOpenOrders:
    r.int("version")
    return ReqAutoOpenOrders(auto_bind=r.bool("autoBind"))


def _completed_orders(r: FieldReader, sv: int) -> ReqCompletedOrders:
    return ReqCompletedOrders(api_only=r.bool("apiOnly"))  # no version field


def _executions(r: FieldReader, sv: int) -> ReqExecutions:
    r.int("version")
    req_id = r.int("reqId")
    execution_filter = ExecutionFilter(
        client_id=r.int("clientId"),
        acct_code=r.str("acctCode"),
        time=r.str("time"),
        symbol=r.str("symbol"),
        sec_type=r.str("secType"),
        exchange=r.str("exchange"),
        side=r.str("side"),
    )
    return ReqExecutions(req_id=req_id, filter=execution_filter)


def _exercise_options(r: FieldReader, sv: int) -> ExerciseOptions:
    r.int("version")
    return ExerciseOptions(
        req_id=r.int("reqId"),
        contract=read_contract(r, primary_exchange=False),
        exercise_action=r.int("exerciseAction"),
        exercise_quantity=r.int("exerciseQuantity"),
        account=r.str("account"),
        override=r.bool("override"),
    )


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.PLACE_ORDER: _place_order,
    ClientMsgId.CANCEL_ORDER: _cancel_order,
    ClientMsgId.REQ_OPEN_ORDERS: versioned_empty(ReqOpenOrders, optional=True),
    ClientMsgId.REQ_ALL_OPEN_ORDERS: versioned_empty(ReqAllOpenOrders, optional=True),
    ClientMsgId.REQ_AUTO_OPEN_ORDERS: _auto_open_orders,
    ClientMsgId.REQ_GLOBAL_CANCEL: versioned_empty(ReqGlobalCancel, optional=True),
    ClientMsgId.REQ_COMPLETED_ORDERS: _completed_orders,
    ClientMsgId.REQ_EXECUTIONS: _executions,
    ClientMsgId.EXERCISE_OPTIONS: _exercise_options,
}
