"""Server messages about orders and fills: openOrder, orderStatus, completedOrder, execDetails, commissions.

The long Order/Contract/OrderState bodies of openOrder and completedOrder are written by
`order_layout`; this module owns the message types, the short messages and the encoder table.
Every message here exists at every version we serve (157..200); only openOrder, completedOrder and
execDetails change shape inside that range. commissionReport (59) keeps its layout: IB's 10.33 renamed it
commissionAndFeesReport, with the same fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal

from ibbot.errors import LocalProtocolError
from ibbot.protocol.fields import fmt_bool, fmt_decimal, fmt_float, fmt_int
from ibbot.protocol.framing import frame_fields, frame_joined
from ibbot.protocol.ids import SV, ServerMsgId
from ibbot.protocol.responses.base import CONTRACT_WIDTH, FROZEN, Encoder, Response, contract_text
from ibbot.protocol.responses.order_layout import (
    UNSET_DOUBLE_TEXT,
    completed_order_fields,
    open_order_state_text,
    open_order_text,
)
from ibbot.protocol.types import Contract, Execution, Order, OrderState

ORDER_STATUSES = frozenset(
    {
        "PendingSubmit",
        "PendingCancel",
        "PreSubmitted",
        "Submitted",
        "ApiPending",
        "ApiCancelled",
        "Cancelled",
        "Filled",
        "Inactive",
    }
)
"""The status strings TWS sends in orderStatus (3) and openOrder (5)."""

_MARGIN_FIELDS = tuple(f.name for f in fields(OrderState) if f.name.endswith(("_before", "_change", "_after")))
"""The nine margin figures TWS sends as text (the outside-RTH ones of 195 are numbers already)."""


@dataclass(**FROZEN)
class OpenOrder(Response):
    """openOrder (5): an order as TWS holds it; the order id, client id and perm id are inside `order`.

    A what-if answer (`order.what_if`) must carry numeric margin figures: ib_async calls float() on
    initMarginChange. Empty ones are sent as TWS's UNSET literal ("not computed").
    """

    msg_id = ServerMsgId.OPEN_ORDER
    order: Order
    contract: Contract
    state: OrderState

    def __post_init__(self) -> None:
        if not self.order.what_if:
            return
        for name in _MARGIN_FIELDS:
            text = getattr(self.state, name)
            if not text:
                continue
            try:
                ok = math.isfinite(float(text))
            except ValueError:
                ok = False
            if not ok:
                raise LocalProtocolError(f"what-if openOrder: {name} must be a finite number, got {text!r}")


@dataclass(**FROZEN)
class OpenOrderEnd(Response):
    msg_id = ServerMsgId.OPEN_ORDER_END


@dataclass(**FROZEN)
class OrderStatus(Response):
    """orderStatus (3); `client_id` must be the owning client's id or ib_async finds no trade."""

    msg_id = ServerMsgId.ORDER_STATUS
    order_id: int
    status: str
    filled: Decimal
    remaining: Decimal
    avg_fill_price: float
    perm_id: int
    parent_id: int
    last_fill_price: float
    client_id: int
    why_held: str = ""
    mkt_cap_price: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in ORDER_STATUSES:
            raise LocalProtocolError(f"orderStatus: unknown status {self.status!r}")


@dataclass(**FROZEN)
class CompletedOrder(Response):
    """completedOrder (101): a filled or cancelled order, as reqCompletedOrders lists it."""

    msg_id = ServerMsgId.COMPLETED_ORDER
    order: Order
    contract: Contract
    state: OrderState


@dataclass(**FROZEN)
class CompletedOrdersEnd(Response):
    msg_id = ServerMsgId.COMPLETED_ORDERS_END


@dataclass(**FROZEN)
class ExecDetails(Response):
    """execDetails (11): one fill; `req_id` is -1 for a live fill, the reqExecutions id otherwise."""

    msg_id = ServerMsgId.EXECUTION_DATA
    req_id: int
    contract: Contract
    execution: Execution


@dataclass(**FROZEN)
class ExecDetailsEnd(Response):
    msg_id = ServerMsgId.EXECUTION_DATA_END
    req_id: int


@dataclass(**FROZEN)
class CommissionReport(Response):
    """commissionReport (59), sent after the execDetails with the same `exec_id`.

    `realized_pnl` is None for an opening fill; it goes out as TWS's UNSET literal (as does an unset
    yield), which ibapi keeps as UNSET_DOUBLE and ib_async's wrapper turns into 0.
    """

    msg_id = ServerMsgId.COMMISSION_REPORT
    exec_id: str
    commission: float
    currency: str
    realized_pnl: float | None = None
    yield_: float | None = None
    yield_redemption_date: int = 0  # YYYYMMDD, 0 if none


@dataclass(**FROZEN)
class OrderBound(Response):
    """orderBound (100): a TWS-placed order bound to an API client/order id (wire name of `perm_id`: reqId)."""

    msg_id = ServerMsgId.ORDER_BOUND
    perm_id: int
    api_client_id: int
    api_order_id: int


# --- encoders ---------------------------------------------------------------------------------------


def _open_order(m: OpenOrder, sv: int) -> bytes:
    # The text of `open_order_fields`, from parts kept per Order/Contract and per OrderState object.
    (head, head_count), (tail, tail_count) = open_order_text(m.order, m.contract, sv)
    state, state_count = open_order_state_text(m.state, m.order.what_if, sv)
    return frame_joined(f"5\0{head}\0{state}\0{tail}", 1 + head_count + state_count + tail_count)


def _open_order_end(m: OpenOrderEnd, sv: int) -> bytes:
    return frame_fields(["53", "1"])


def _order_status(m: OrderStatus, sv: int) -> bytes:
    # No version field since MARKET_CAP_PRICE (131).
    return frame_fields(
        [
            "3",
            fmt_int(m.order_id),
            m.status,
            fmt_decimal(m.filled),
            fmt_decimal(m.remaining),
            fmt_float(m.avg_fill_price),
            fmt_int(m.perm_id),
            fmt_int(m.parent_id),
            fmt_float(m.last_fill_price),
            fmt_int(m.client_id),
            m.why_held,
            fmt_float(m.mkt_cap_price),
        ]
    )


def _completed_order(m: CompletedOrder, sv: int) -> bytes:
    return frame_fields(["101", *completed_order_fields(m.order, m.contract, m.state, sv)])


def _completed_orders_end(m: CompletedOrdersEnd, sv: int) -> bytes:
    return frame_fields(["102"])


def _exec_details(m: ExecDetails, sv: int) -> bytes:
    # No version field since LAST_LIQUIDITY (136). The contract's text is kept per Contract object.
    ex = m.execution
    fields = [
        "11",
        fmt_int(m.req_id),
        fmt_int(ex.order_id),
        contract_text(m.contract),
        ex.exec_id,
        ex.time,
        ex.acct_number,
        ex.exchange,
        ex.side,
        fmt_decimal(ex.shares),
        fmt_float(ex.price),
        fmt_int(ex.perm_id),
        fmt_int(ex.client_id),
        fmt_int(ex.liquidation),
        fmt_decimal(ex.cum_qty),
        fmt_float(ex.avg_price),
        ex.order_ref,
        ex.ev_rule,
        fmt_float(ex.ev_multiplier),
        ex.model_code,
        fmt_int(ex.last_liquidity),
    ]
    if sv >= SV.PENDING_PRICE_REVISION:
        fields.append(fmt_bool(ex.pending_price_revision))
    if sv >= SV.SUBMITTER:
        fields.append(ex.submitter)
    return frame_joined("\0".join(fields), len(fields) + CONTRACT_WIDTH - 1)


def _exec_details_end(m: ExecDetailsEnd, sv: int) -> bytes:
    return frame_fields(["55", "1", fmt_int(m.req_id)])


def _commission_report(m: CommissionReport, sv: int) -> bytes:
    # Exactly 8 fields; every reader takes them positionally.
    return frame_fields(
        [
            "59",
            "1",
            m.exec_id,
            fmt_float(m.commission),
            m.currency,
            UNSET_DOUBLE_TEXT if m.realized_pnl is None else fmt_float(m.realized_pnl),
            UNSET_DOUBLE_TEXT if m.yield_ is None else fmt_float(m.yield_),
            fmt_int(m.yield_redemption_date),
        ]
    )


def _order_bound(m: OrderBound, sv: int) -> bytes:
    return frame_fields(["100", fmt_int(m.perm_id), fmt_int(m.api_client_id), fmt_int(m.api_order_id)])


ENCODERS: dict[type[Response], Encoder] = {
    OpenOrder: _open_order,
    OpenOrderEnd: _open_order_end,
    OrderStatus: _order_status,
    CompletedOrder: _completed_order,
    CompletedOrdersEnd: _completed_orders_end,
    ExecDetails: _exec_details,
    ExecDetailsEnd: _exec_details_end,
    CommissionReport: _commission_report,
    OrderBound: _order_bound,
}
