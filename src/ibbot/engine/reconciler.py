"""Reconciliation, carried out: at start-up and after every `Resynced`, the journal against the broker.

`oms.reconcile` decides; this shell gathers and applies. It takes the order manager's orders and exec ids (the
journal's, kept in step) before it asks the broker (executions, then open orders via reqAllOpenOrders,
completed orders, positions), so the broker's answers are never older than the journal's side. Then:

* orders that filled or ended while the bot was down, and intents IB shows by orderRef (adopted), are brought
  up to date in the manager and the journal, unless a live report moved them meanwhile (that one is newer);
  intents IB does not show are marked as the core decides (REJECTED, lost) and never re-sent;
* the fills the journal lacks are recorded once, with source `recovered` (external fills too, so the journal's
  fills are the broker's executions);
* a bracket whose later legs were lost before they left is held at IB, untransmitted: its legs are cancelled,
  since the bracket cannot be completed under the same refs;
* the run and its verdict are journaled; MONITOR_ONLY and HALT set the risk mode (saved in the journal).

The positions compared are the bot's own fills plus the offsets a person accepted when acknowledging an
earlier discrepancy (`OFFSETS_SOURCE`), so an acknowledged manual trade is not reported again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ibbot.broker.base import ReportedOrder
from ibbot.model import Order, OrderStatus, Position
from ibbot.oms import BrokerOrder, PositionBook, Reconciliation, Verdict
from ibbot.oms import reconcile as decide
from ibbot.store import FillSource

# The service is typed loosely here: ibbot.engine.orders imports this module (no cycle back).
OrderService = Any

log = logging.getLogger(__name__)

OFFSETS_SOURCE = "acknowledged-offsets"  # the journal's position snapshot of accepted differences
BROKER_SOURCE = "broker"


def baseline(service: OrderService) -> list[Position]:
    """The positions the journal implies: the bot's fills plus the acknowledged offsets."""
    offsets = service.journal.last_positions(OFFSETS_SOURCE)
    extra = list(offsets.positions) if offsets is not None else []
    return [*service.book.positions(), *extra]


async def reconcile(service: OrderService) -> Reconciliation:
    async with service.lock:
        manager, journal, gateway = service.manager, service.journal, service.gateway
        before = {order.order_ref: order for order in manager.orders}
        known = manager.known_exec_ids
        implied = PositionBook.from_positions(baseline(service)).positions()
        executions = await gateway.executions(None)
        open_orders = await gateway.open_orders()
        completed = await gateway.completed_orders()
        positions = _each_once(await gateway.positions())
        now = service.clock.now()
        result = decide(
            journal_orders=before.values(),
            journal_fill_ids=known,
            journal_positions=implied,
            broker_open_orders=[BrokerOrder(update=r.update, request=r.request) for r in open_orders],
            broker_completed=[_completed(r) for r in completed],
            broker_executions=executions,
            broker_positions=positions,
            our_client_ids={service.client_id},
            now=now,
            is_ours=service.refs.is_ours,
        )
        for change in result.changes:
            ref = change.order.order_ref
            if manager.by_ref(ref) is before.get(ref):  # not moved by a live report since the snapshot
                manager.adopt(change.order)
                journal.record_order(change.order)
        for fill in (*result.fills, *result.external_fills):
            service.on_fill(fill, FillSource.RECOVERED)
        for external in result.external_orders:
            update = external.update
            service.externals[(update.client_id, update.order_id, update.perm_id)] = external
        await _cancel_incomplete_brackets(service, result.lost)
        journal.record_positions(positions, now, BROKER_SOURCE)
        run_id = journal.record_reconciliation(result.verdict.name, result.reasons, now)
        service.last_run_id = run_id
        service.last_reconciliation = result
        reasons = "; ".join(result.reasons)
        if result.verdict is Verdict.HALT:
            service.set_risk_state(service.risk_state.halt(f"reconciliation: {reasons}", service.operator, now))
        elif result.verdict is Verdict.MONITOR_ONLY:
            state = service.risk_state.monitor_only(f"reconciliation: {reasons}", service.operator, now)
            service.set_risk_state(state)
        if result.verdict is not Verdict.SAFE:
            log.warning("reconciliation %s: %s", result.verdict.name, reasons)
        for note in result.notes:
            log.info("reconciliation: %s", note)
        service.recovered()
        return result


async def _cancel_incomplete_brackets(service: OrderService, lost: tuple[str, ...]) -> None:
    """The legs of a bracket whose later legs never left: held at IB, never transmitted; cancel them."""
    manager = service.manager
    parents: set[str] = set()
    for ref in lost:
        order = manager.by_ref(ref)
        if order is not None:
            parents.add(order.request.parent_ref or ref)
    for parent in sorted(parents):
        legs = [o for o in manager.orders if parent in (o.order_ref, o.request.parent_ref)]
        for leg in _sent_and_working(legs):
            log.warning("cancelling %s: its bracket %s lost a leg before it was sent", leg.order_ref, parent)
            await service.gateway.cancel_order(leg.order_id)


def _each_once(positions: list[Position]) -> list[Position]:
    """One position per account and instrument, the last reported: ib_async adds the reqPositions updates that
    arrive while the request is in flight (a fill's) to its answer, so one position can be listed twice."""
    latest = {(position.account, position.instrument.key): position for position in positions}
    return list(latest.values())


def _completed(reported: ReportedOrder) -> BrokerOrder:
    """A completedOrder carries no orderStatus quantities (the adapter shows filled 0): say "none given"."""
    update = reported.update
    if update.filled == 0:
        update = replace(update, remaining=Decimal(0))
    return BrokerOrder(update=update, request=reported.request)


def _sent_and_working(legs: list[Order]) -> list[Order]:
    return [leg for leg in legs if leg.status.is_working and leg.status is not OrderStatus.NEW and leg.order_id]
