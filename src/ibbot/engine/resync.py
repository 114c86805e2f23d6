"""Session continuity, carried out: after each reconnect class, bring the bot back to where it was.

The pure planner (`ibbot.connection.continuity.plan_resync`) says what a reconnect must redo; `Continuity`
does it through the governed gateway: resubscribe and backfill the feeds, recover the executions made while the
socket was down (since the last one seen, de-duplicated by execId, delivered once), and refresh open orders,
completed orders, positions and account values, kept here for the order manager's reconciliation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from ibbot.broker.base import ReportedOrder
from ibbot.clock import Clock
from ibbot.connection.continuity import LastSeen, ReconnectClass, ResyncReport, plan_resync
from ibbot.data.feeds import Feeds
from ibbot.data.gateway import Gateway
from ibbot.model import AccountValue, Fill, Position

log = logging.getLogger(__name__)

# reqExecutions filters by time at whole seconds in TWS's zone; ask a little earlier and de-duplicate.
_EXECUTION_SLACK = timedelta(seconds=5)


class FillTracker:
    """Fills by execId, each delivered once whatever path it arrives by (live, recovered, replayed)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self.last_time: datetime | None = None

    def accept(self, fill: Fill) -> bool:
        if fill.exec_id in self._seen:
            return False
        self._seen.add(fill.exec_id)
        if self.last_time is None or fill.time > self.last_time:
            self.last_time = fill.time
        return True

    def __len__(self) -> int:
        return len(self._seen)


class Continuity:
    def __init__(
        self,
        gateway: Gateway,
        feeds: Feeds,
        fills: FillTracker,
        clock: Clock,
        *,
        deliver_fill: Callable[[Fill], None],
    ) -> None:
        self._gateway = gateway
        self._feeds = feeds
        self._fills = fills
        self._clock = clock
        self._deliver_fill = deliver_fill
        self.open_orders: list[ReportedOrder] = []
        self.completed_orders: list[ReportedOrder] = []
        self.positions: list[Position] = []
        self.account_values: list[AccountValue] = []

    def on_fill(self, fill: Fill) -> None:
        """A live execDetails: delivered unless it was seen already."""
        if self._fills.accept(fill):
            self._deliver_fill(fill)

    async def resync(self, reconnect: ReconnectClass) -> ResyncReport:
        started = self._clock.now()
        feeds = list(self._feeds)
        plan = plan_resync(
            reconnect,
            [f.subscription for f in feeds],
            LastSeen(execution=self._fills.last_time),
        )
        report = None
        if reconnect is ReconnectClass.DATA_RESUMED:
            report = await self._feeds.resume()
        elif reconnect is ReconnectClass.DATA_KEPT:
            report = await self._feeds.resume(remake=False)  # kept, but silent while TWS was cut off
        elif plan.resubscribe:
            report = await self._feeds.resubscribe()
        recovered = 0
        if plan.recover_executions:
            since = plan.recover_executions_since
            for fill in await self._gateway.executions(None if since is None else since - _EXECUTION_SLACK):
                if self._fills.accept(fill):
                    recovered += 1
                    self._deliver_fill(fill)
        if plan.refresh_orders:
            self.open_orders = await self._gateway.open_orders()
            self.completed_orders = await self._gateway.completed_orders()
        if plan.refresh_positions:
            self.positions = await self._gateway.positions()
        if plan.refresh_account:
            self.account_values = await self._gateway.account_values()
        return ResyncReport(
            reconnect=reconnect,
            started=started,
            finished=self._clock.now(),
            resubscribed=report.resubscribed if report else (),
            bars_backfilled=report.backfilled if report else (),
            fills_recovered=recovered,
            failed=report.failed if report else (),
        )

    def session_lost(self, data_lost: bool) -> None:
        if data_lost:
            self._feeds.session_lost()

    def data_silenced(self) -> None:
        """The session stays, its data stops (1100, a market farm down, a competing session): hold the bar
        series until the resync that follows fills the silence."""
        self._feeds.hold()
