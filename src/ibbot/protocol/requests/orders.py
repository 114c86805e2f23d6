"""Client requests of the order family: place, cancel, open/completed orders, executions, option exercise.

placeOrder's long field walk lives in `order_layout`; this module owns the typed requests and the table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import SV, ClientMsgId
from ibbot.protocol.requests.base import FROZEN, Decoder, Request, read_contract, versioned_empty
from ibbot.protocol.requests.market import read_count
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
class OrderCancel:
    """IB's OrderCancel, the terms of cancelOrder and reqGlobalCancel (CME tagging fields from server version 192)."""

    manual_order_cancel_time: str = ""  # cancelOrder only, from server version 169
    ext_operator: str = ""
    manual_order_indicator: int | None = None


NO_CANCEL_TERMS = OrderCancel()


@dataclass(**FROZEN)
class CancelOrder(Request):
    msg_id = ClientMsgId.CANCEL_ORDER
    order_id: int
    terms: OrderCancel = NO_CANCEL_TERMS

    @property
    def manual_cancel_order_time(self) -> str:
        return self.terms.manual_order_cancel_time


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
    terms: OrderCancel = NO_CANCEL_TERMS


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
    last_n_days: int | None = None  # server version 200: the executions of the last N days
    specific_dates: tuple[str, ...] = ()  # server version 200: "yyyymmdd" days


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
    manual_order_time: str = ""  # server version 180
    customer_account: str = ""  # 183
    professional_customer: bool = False  # 184


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
    if sv < SV.CME_TAGGING_FIELDS:  # IB's OrderCancel dropped the version field at 192
        r.int("version")
    order_id = r.int("orderId")
    # ibapi 9.81 never sends the manual time; tolerate its absence whatever the version.
    if not (sv >= SV.MANUAL_ORDER_TIME and r.remaining()):
        return CancelOrder(order_id=order_id)
    manual_time = r.str("manualCancelOrderTime")
    if SV.RFQ_FIELDS <= sv < SV.UNDO_RFQ_FIELDS:  # two RFQ fields and an int, always unset, then removed
        r.str("rfq")
        r.str("rfq")
        r.opt_int("rfq")
    if sv < SV.CME_TAGGING_FIELDS:
        return CancelOrder(order_id=order_id, terms=OrderCancel(manual_order_cancel_time=manual_time))
    terms = OrderCancel(
        manual_order_cancel_time=manual_time,
        ext_operator=r.str("extOperator"),
        manual_order_indicator=r.opt_int("manualOrderIndicator"),
    )
    return CancelOrder(order_id=order_id, terms=terms)


def _global_cancel(r: FieldReader, sv: int) -> ReqGlobalCancel:
    if sv < SV.CME_TAGGING_FIELDS:
        if r.remaining():
            r.int("version")
        return ReqGlobalCancel()
    terms = OrderCancel(ext_operator=r.str("extOperator"), manual_order_indicator=r.opt_int("manualOrderIndicator"))
    return ReqGlobalCancel(terms=terms)


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
    if sv >= SV.PARAMETRIZED_DAYS_OF_EXECUTIONS:
        last_n_days = r.opt_int("lastNDays")
        dates = tuple(r.str("specificDate") for _ in range(read_count(r, "specificDates count", 1)))
        execution_filter = dataclasses.replace(execution_filter, last_n_days=last_n_days, specific_dates=dates)
    return ReqExecutions(req_id=req_id, filter=execution_filter)


def _exercise_options(r: FieldReader, sv: int) -> ExerciseOptions:
    r.int("version")
    request = ExerciseOptions(
        req_id=r.int("reqId"),
        contract=read_contract(r, primary_exchange=False),
        exercise_action=r.int("exerciseAction"),
        exercise_quantity=r.int("exerciseQuantity"),
        account=r.str("account"),
        override=r.bool("override"),
    )
    if sv < SV.MANUAL_ORDER_TIME_EXERCISE_OPTIONS:
        return request
    extra: dict[str, Any] = {"manual_order_time": r.str("manualOrderTime")}
    if sv >= SV.CUSTOMER_ACCOUNT:
        extra["customer_account"] = r.str("customerAccount")
    if sv >= SV.PROFESSIONAL_CUSTOMER:
        extra["professional_customer"] = r.bool("professionalCustomer")
    return dataclasses.replace(request, **extra)


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.PLACE_ORDER: _place_order,
    ClientMsgId.CANCEL_ORDER: _cancel_order,
    ClientMsgId.REQ_OPEN_ORDERS: versioned_empty(ReqOpenOrders, optional=True),
    ClientMsgId.REQ_ALL_OPEN_ORDERS: versioned_empty(ReqAllOpenOrders, optional=True),
    ClientMsgId.REQ_AUTO_OPEN_ORDERS: _auto_open_orders,
    ClientMsgId.REQ_GLOBAL_CANCEL: _global_cancel,
    ClientMsgId.REQ_COMPLETED_ORDERS: _completed_orders,
    ClientMsgId.REQ_EXECUTIONS: _executions,
    ClientMsgId.EXERCISE_OPTIONS: _exercise_options,
}
