"""What TWS answers from its order books without changing them: reqOpenOrders / reqAllOpenOrders,
reqCompletedOrders and reqExecutions (with its filter), read from a `TradingService`.

Who sees what: reqOpenOrders lists the asking client's working orders, reqAllOpenOrders every client's;
reqCompletedOrders every order finished today (TWS lists them whoever placed them); reqExecutions today's
fills of the asking client, of every client for clientId 0 and the master client. "Today" starts at midnight in
TWS's zone, as TWS's execution reports do.
"""

from __future__ import annotations

from datetime import datetime

from ibbot.protocol.requests.orders import ExecutionFilter
from ibbot.protocol.responses.orders import CompletedOrdersEnd, ExecDetailsEnd, OpenOrderEnd
from ibbot.protocol.types import Contract
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.trading.messages import (
    commission_report,
    completed_order,
    exec_details,
    execution_matches,
    order_status,
    reported_days,
)
from ibbot.sim.trading.service import TradingService


def open_orders(
    trading: TradingService, session: ClientSession, now: datetime, out: Outbox, *, every_client: bool
) -> None:
    """openOrder + orderStatus for each working order, then openOrderEnd."""
    trading.catch_up(now)
    for view in trading.engine.open_orders():
        if every_client or view.client_id == session.client_id:
            record = trading.records[(view.client_id, view.order_id)]
            out.to(session.client_id, trading.open_order(view, record), order_status(view, perm_id=record.perm_id))
    out.to(session.client_id, OpenOrderEnd())


def completed_orders(trading: TradingService, session: ClientSession, now: datetime, out: Outbox) -> None:
    """completedOrder for each order finished today, in placement order, then the end marker."""
    trading.catch_up(now)
    midnight = trading.midnight(now)
    done = [r for r in trading.records.values() if r.completed_at is not None and r.completed_at >= midnight]
    for record in sorted(done, key=lambda r: r.perm_id):
        view = trading.engine.order(record.order_id, client_id=record.client_id)
        assert view is not None and record.completed_at is not None
        message = completed_order(
            view,
            trading.contract(record),
            perm_id=record.perm_id,
            completed_at=record.completed_at,
            zone=trading.zone,
            good_till_text=record.good_till_text,
            trigger_method=record.trigger_method,
        )
        out.to(session.client_id, message)
    out.to(session.client_id, CompletedOrdersEnd())


def executions(
    trading: TradingService, session: ClientSession, now: datetime, out: Outbox, *, req_id: int, wanted: ExecutionFilter
) -> None:
    """execDetails(req_id) + commissionReport for each of today's fills the filter lets through, then the end."""
    trading.catch_up(now)
    reported = reported_days(wanted, trading.midnight(now), trading.zone)
    everyone = trading.is_master(session)
    for exe in trading.executions:
        if not reported(exe.time) or not (everyone or exe.client_id == session.client_id):
            continue
        if execution_matches(exe, wanted, trading.zone):
            record = trading.records.get((exe.client_id, exe.order_id))
            contract = Contract(con_id=exe.con_id) if record is None else trading.contract(record)
            out.to(
                session.client_id,
                exec_details(exe, contract, req_id=req_id, zone=trading.zone),
                commission_report(exe),
            )
    out.to(session.client_id, ExecDetailsEnd(req_id=req_id))
