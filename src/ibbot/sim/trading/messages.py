"""The messages TWS sends about orders, built from engine views and execution records: openOrder, orderStatus,
completedOrder, execDetails, commissionReport, the what-if openOrder; and the reqExecutions filter.

Theory of operation
-------------------
An `ExecutionRecord` is one fill as the simulator keeps (and persists) it: everything execDetails and
commissionReport report, plus the symbol and security type the reqExecutions filter looks at. Execution ids
look like IB's (`0000e0d5.6573a4b1.01.01`: a sequence number and the epoch second in hex), unique because the
sequence is a persisted counter. Execution times are written `YYYYMMDD HH:MM:SS Zone` in TWS's zone, which
ib_async parses into an aware datetime and ibapi passes through as text.

Which fields a message carries, in which order they go out and to whom is the caller's business
(`ibbot.sim.trading.service`); the functions here only shape one message each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ibbot.memo import IdentityMemo
from ibbot.protocol.requests.orders import ExecutionFilter
from ibbot.protocol.responses.orders import (
    CommissionReport,
    CompletedOrder,
    ExecDetails,
    OpenOrder,
)
from ibbot.protocol.responses.orders import (
    OrderStatus as OrderStatusMessage,
)
from ibbot.protocol.types import Contract, Execution, Order, OrderState, fast_constructor
from ibbot.sim.accounts.margin import WhatIf
from ibbot.sim.trading.orders import OrderSpec, OrderStatus, OrderView
from ibbot.sim.trading.translate import SUBMITTER, format_ib_time, parse_ib_time, to_order

ZERO = Decimal(0)
CANCELLED = (202, "Order Canceled - reason:")
DUPLICATE_ID = (103, "Duplicate order id")
SIMULATED_REJECTION = "Simulated rejection"
_SIDES = {"BUY": "BOT", "BOT": "BOT", "SELL": "SLD", "SSHORT": "SLD", "SLD": "SLD"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionRecord:
    """One fill, as execDetails + commissionReport report it (money in the instrument's currency)."""

    exec_id: str
    time: datetime  # UTC
    client_id: int
    order_id: int
    perm_id: int
    con_id: int
    symbol: str
    sec_type: str
    account: str
    exchange: str  # the venue it executed on
    side: str  # BOT / SLD
    shares: Decimal
    price: Decimal
    cum_qty: Decimal
    avg_price: Decimal
    order_ref: str
    liquidity: int  # 1 added, 2 removed, 3 auction
    commission: Decimal
    commission_currency: str
    realized_pnl: Decimal | None  # None for an opening fill

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in _EXECUTION_FIELDS}
        out["time"] = self.time.isoformat()
        for name in _EXECUTION_DECIMALS:
            if out[name] is not None:
                out[name] = str(out[name])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutionRecord:
        values = dict(data)
        values["time"] = datetime.fromisoformat(values["time"])
        for name in ("shares", "price", "cum_qty", "avg_price", "commission"):
            values[name] = Decimal(values[name])
        if values["realized_pnl"] is not None:
            values["realized_pnl"] = Decimal(values["realized_pnl"])
        return cls(**values)


_EXECUTION_FIELDS = tuple(f.name for f in fields(ExecutionRecord))
_EXECUTION_DECIMALS = ("shares", "price", "cum_qty", "avg_price", "commission", "realized_pnl")


_build_execution = fast_constructor(Execution)
_STATUS_TEXT = {status: status.value for status in OrderStatus}  # a tenth of the cost of `.value`


def exec_id(sequence: int, at: datetime) -> str:
    return f"{sequence:08x}.{int(at.timestamp()):08x}.01.01"


def side_of(buy: bool) -> str:
    return "BOT" if buy else "SLD"


def exec_details(rec: ExecutionRecord, contract: Contract, *, req_id: int, zone: ZoneInfo) -> ExecDetails:
    """execDetails (11); `req_id` -1 for a live fill."""
    return ExecDetails(
        req_id=req_id,
        contract=contract,
        execution=_build_execution(
            exec_id=rec.exec_id,
            time=format_ib_time(rec.time, zone),
            acct_number=rec.account,
            exchange=rec.exchange,
            side=rec.side,
            shares=rec.shares,
            price=float(rec.price),
            perm_id=rec.perm_id,
            client_id=rec.client_id,
            order_id=rec.order_id,
            cum_qty=rec.cum_qty,
            avg_price=float(rec.avg_price),
            order_ref=rec.order_ref,
            last_liquidity=rec.liquidity,
            submitter=SUBMITTER,  # written from server version 198
        ),
    )


def commission_report(rec: ExecutionRecord) -> CommissionReport:
    """commissionReport (59); sent after the execDetails of the same execution."""
    return CommissionReport(
        exec_id=rec.exec_id,
        commission=float(rec.commission),
        currency=rec.commission_currency,
        realized_pnl=None if rec.realized_pnl is None else float(rec.realized_pnl),
    )


def order_status(view: OrderView, *, perm_id: int) -> OrderStatusMessage:
    """orderStatus (3) with the owner's client id (ib_async keys trades by it)."""
    return OrderStatusMessage(
        order_id=view.order_id,
        status=_STATUS_TEXT[view.status],
        filled=view.filled,
        remaining=view.remaining,
        avg_fill_price=float(view.avg_fill_price),
        perm_id=perm_id,
        parent_id=view.spec.parent_id,
        last_fill_price=float(view.last_fill_price),
        client_id=view.client_id,
    )


def open_order(
    view: OrderView, contract: Contract, *, perm_id: int, good_till_text: str = "", trigger_method: int | None = None
) -> OpenOrder:
    """openOrder (5): the order as TWS holds it, with its status.

    An order's openOrders (accepted, filled, listed by reqOpenOrders) mostly report the same terms: the Order
    is reused while the spec and everything else it is made of stay the same objects, which also lets the
    encoder reuse that Order's text (`order_layout`)."""
    made_of = (view.spec, view.limit_price, view.stop_price)  # what `to_order` reads of the view
    terms = (perm_id, good_till_text, trigger_method)
    order = _reported.get(made_of, terms) or _reported.put(
        made_of, to_order(view, perm_id=perm_id, good_till_text=good_till_text, trigger_method=trigger_method), terms
    )
    return OpenOrder(order=order, contract=contract, state=_OPEN_STATES[view.status])


_reported: IdentityMemo[Order] = IdentityMemo()  # the Order reported for these inputs
_OPEN_STATES = {status: OrderState(status=status.value) for status in OrderStatus}


def completed_order(
    view: OrderView,
    contract: Contract,
    *,
    perm_id: int,
    completed_at: datetime,
    zone: ZoneInfo,
    good_till_text: str = "",
    trigger_method: int | None = None,
) -> CompletedOrder:
    """completedOrder (101) for a filled, cancelled or inactive order."""
    order = to_order(
        view, perm_id=perm_id, good_till_text=good_till_text, trigger_method=trigger_method, completed=True
    )
    status = view.status
    if status is OrderStatus.FILLED:
        why = f"Filled Size: {view.filled.normalize():f}"
    elif status is OrderStatus.CANCELLED:
        why = "Cancelled by Trader" if view.filled == 0 else f"Partially filled, cancelled: {view.filled:f}"
    else:
        why = "Rejected"
    state = OrderState(status=status.value, completed_time=format_ib_time(completed_at, zone), completed_status=why)
    return CompletedOrder(order=order, contract=contract, state=state)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def what_if_order(spec: OrderSpec, contract: Contract, figures: WhatIf, *, margin_currency: str = "") -> OpenOrder:
    """The answer to a what-if order: numeric margin figures (before, change, after) and the commission.

    From server version 195 the preview also carries the margin currency (the account's base currency), the
    same figures outside regular hours (the simulator has one margin model for every hour) and the suggested
    size (the order's own); the encoder leaves them out below 195."""
    view = OrderView(
        spec=spec,
        status=OrderStatus.PRE_SUBMITTED,
        filled=ZERO,
        avg_fill_price=ZERO,
        last_fill_price=ZERO,
        stop_price=spec.aux_price,
        limit_price=spec.lmt_price,
        held=False,
        waiting_parent=False,
        triggered=False,
    )
    amount = float(figures.commission)
    state = OrderState(
        status=OrderStatus.PRE_SUBMITTED.value,
        init_margin_before=_money(figures.init_before),
        maint_margin_before=_money(figures.maint_before),
        equity_with_loan_before=_money(figures.equity_before),
        init_margin_change=_money(figures.init_change),
        maint_margin_change=_money(figures.maint_change),
        equity_with_loan_change=_money(figures.equity_change),
        init_margin_after=_money(figures.init_after),
        maint_margin_after=_money(figures.maint_after),
        equity_with_loan_after=_money(figures.equity_after),
        commission=amount,
        min_commission=amount,
        max_commission=amount,
        commission_currency=figures.commission_currency,
        margin_currency=margin_currency,
        init_margin_before_outside_rth=float(figures.init_before),
        maint_margin_before_outside_rth=float(figures.maint_before),
        equity_with_loan_before_outside_rth=float(figures.equity_before),
        init_margin_change_outside_rth=float(figures.init_change),
        maint_margin_change_outside_rth=float(figures.maint_change),
        equity_with_loan_change_outside_rth=float(figures.equity_change),
        init_margin_after_outside_rth=float(figures.init_after),
        maint_margin_after_outside_rth=float(figures.maint_after),
        equity_with_loan_after_outside_rth=float(figures.equity_after),
        suggested_size=spec.quantity,
    )
    return OpenOrder(order=to_order(view, perm_id=0), contract=contract, state=state)


def reported_days(wanted: ExecutionFilter, midnight: datetime, zone: ZoneInfo) -> Callable[[datetime], bool]:
    """Which execution times reqExecutions reports: today's (from `midnight`, TWS's default), or from server
    version 200 those of the last N days (today counts as one) and of the specific dates the filter names."""
    today = midnight.astimezone(zone).date()
    first = today - timedelta(days=wanted.last_n_days - 1) if wanted.last_n_days and wanted.last_n_days > 0 else None
    dates = frozenset(wanted.specific_dates)
    if first is None and not dates:
        return lambda at: at >= midnight

    def reported(at: datetime) -> bool:
        day = at.astimezone(zone).date()
        return (first is not None and first <= day <= today) or f"{day:%Y%m%d}" in dates

    return reported


def execution_matches(rec: ExecutionRecord, wanted: ExecutionFilter, zone: ZoneInfo) -> bool:
    """IB's reqExecutions filter: empty fields and client id 0 match everything; `time` means at or after."""
    if wanted.client_id and rec.client_id != wanted.client_id:
        return False
    if wanted.acct_code.strip() and rec.account.upper() != wanted.acct_code.strip().upper():
        return False
    if wanted.symbol.strip() and rec.symbol.upper() != wanted.symbol.strip().upper():
        return False
    if wanted.sec_type.strip() and rec.sec_type.upper() != wanted.sec_type.strip().upper():
        return False
    if wanted.exchange.strip() and rec.exchange.upper() != wanted.exchange.strip().upper():
        return False
    side = wanted.side.strip().upper()
    if side and _SIDES.get(side, side) != rec.side:
        return False
    if wanted.time.strip():
        since = parse_ib_time(wanted.time, zone)
        if since is not None and rec.time < since:
            return False
    return True
