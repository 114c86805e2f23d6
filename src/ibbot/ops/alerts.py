"""What is worth telling the operator, and when: the bot's events in, `Notification`s out (pure: `now` is given).

    fill            every fill (the order service delivers each once)
    reject          an order IB or the framework rejected (once per order)
    risk_refusal    the gate refused an order; the same check again within `REPEAT` is counted, not re-sent
    halt            trading halted (and resumed), with who and why
    disconnect      down longer than `disconnect_after`; inside one of IB's reset windows the clock starts when
                    the window ends (resets are expected). Back up after that: "reconnected after ...".
                    The first gateway restart after Sunday's token invalidation needs a person to log in
                    (2FA): still down when that restart should be over, "re-login needed" is sent at once.
    verdict         a reconciliation other than SAFE (the same verdict and reasons again is not repeated)
    daily_summary   once a day at `daily_summary` in `zone`: fills, orders, rejects, refusals since the last
                    one, PnL and equity, the risk mode and the last verdict

The shell (`ibbot.ops.operations`) feeds `on_event` / `on_fill` and calls `tick(now, snapshot)` every second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ibbot.connection.health import HealthSnapshot
from ibbot.connection.resets import ResetWindow, in_reset_window, needs_manual_login
from ibbot.connection.supervisor import HealthChanged
from ibbot.model import Fill, OrderStatus
from ibbot.notify import Notification, NotifySettings, Severity
from ibbot.ops.decisions import OrderRecorded, ReconciliationRecorded, RiskChecked, RiskStateSaved
from ibbot.ops.snapshot import DOWN_STATES, Snapshot
from ibbot.ops.views import is_rejected, quantity_text

REPEAT = timedelta(minutes=5)
RELOGIN = (
    "the first IB Gateway restart after Sunday's token invalidation needs a full login: approve the IBKR Mobile "
    "(2FA) prompt, or log in through IBC's VNC; ibbot reconnects by itself once the gateway is up"
)


@dataclass(slots=True)
class _Day:
    fills: int = 0
    orders: int = 0
    rejects: int = 0
    refusals: int = 0


def _minutes(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


class Alerts:
    def __init__(self, settings: NotifySettings, now: datetime, *, reset_windows: tuple[ResetWindow, ...] = ()) -> None:
        self.settings = settings
        self._windows = reset_windows
        self._zone = ZoneInfo(settings.zone)
        self._down_since: datetime | None = None
        self._down_state = ""
        self._down_reason = ""
        self._down_alerted = False
        self._relogin_sent: set[datetime] = set()  # reset periods already reported as needing a login
        self._mode = "normal"
        self._rejected: set[str] = set()
        self._refused: dict[str, tuple[datetime, int]] = {}  # check -> (last sent, refusals not sent since)
        self._verdict: tuple[str, tuple[str, ...]] = ("SAFE", ())
        self._day = _Day()
        local = now.astimezone(self._zone)
        at = settings.daily_summary
        self._summarised: date | None = local.date() if at is not None and local.time() >= at else None

    def _wanted(self, kind: str) -> bool:
        return kind in self.settings.events

    def _note(self, kind: str, title: str, text: str, now: datetime, severity: Severity, **fields: str) -> Notification:
        return Notification(kind=kind, title=title, text=text, time=now, severity=severity, fields=fields)

    # --- events ------------------------------------------------------------------------------------------------

    def on_fill(self, fill: Fill, now: datetime) -> list[Notification]:
        self._day.fills += 1
        if not self._wanted("fill"):
            return []
        title = f"Filled {fill.side.value} {quantity_text(fill.quantity)} {fill.instrument} @ {fill.price}"
        fields = {"exec_id": fill.exec_id}
        if fill.order_ref:
            fields["order"] = fill.order_ref
        return [self._note("fill", title, "", now, Severity.INFO, **fields)]

    def on_event(self, event: object, now: datetime) -> list[Notification]:
        if isinstance(event, HealthChanged):
            return self._on_health(event.snapshot, now)
        if isinstance(event, OrderRecorded):
            return self._on_order(event, now)
        if isinstance(event, RiskChecked) and not event.verdict.allowed:
            return self._on_refusal(event, now)
        if isinstance(event, RiskStateSaved):
            return self._on_mode(event, now)
        if isinstance(event, ReconciliationRecorded):
            return self._on_verdict(event, now)
        return []

    def _on_order(self, event: OrderRecorded, now: datetime) -> list[Notification]:
        order = event.order
        if order.status is OrderStatus.SUBMITTED and not event.ib_status:  # the service's record as it left
            self._day.orders += 1
        if not is_rejected(order) or order.order_ref in self._rejected:
            return []
        self._rejected.add(order.order_ref)
        self._day.rejects += 1
        if not self._wanted("reject"):
            return []
        request = order.request
        title = f"Order rejected: {request.side.value} {quantity_text(request.quantity)} {request.instrument}"
        return [self._note("reject", title, order.reason or "no reason given", now, Severity.WARNING,
                           order=order.order_ref)]  # fmt: skip

    def _on_refusal(self, event: RiskChecked, now: datetime) -> list[Notification]:
        self._day.refusals += 1
        verdict = event.verdict
        last, unsent = self._refused.get(verdict.check, (None, 0))
        if last is not None and now - last < REPEAT:
            self._refused[verdict.check] = (last, unsent + 1)
            return []
        self._refused[verdict.check] = (now, 0)
        if not self._wanted("risk_refusal"):
            return []
        more = f" ({unsent} more refused by {verdict.check} since the last alert)" if unsent else ""
        request = event.request
        title = f"Risk refused {request.side.value} {quantity_text(request.quantity)} {request.instrument}"
        fields = {"check": verdict.check}
        if request.strategy:
            fields["strategy"] = request.strategy
        return [self._note("risk_refusal", title, verdict.reason + more, now, Severity.WARNING, **fields)]

    def _on_mode(self, event: RiskStateSaved, now: datetime) -> list[Notification]:
        state = event.state
        mode, before = state.mode.value, self._mode
        self._mode = mode
        if mode == before or not self._wanted("halt"):
            return []
        who = state.who or "ibbot"
        if mode == "halted":
            return [self._note("halt", "Trading HALTED", state.reason or "no reason given", now, Severity.CRITICAL,
                               by=who)]  # fmt: skip
        if before == "halted" and mode == "normal":
            return [self._note("halt", "Trading resumed", f"resumed by {who}", now, Severity.INFO, by=who)]
        return []

    def _on_verdict(self, event: ReconciliationRecorded, now: datetime) -> list[Notification]:
        seen = (event.verdict, event.reasons)
        repeated = seen == self._verdict
        self._verdict = seen
        if event.verdict == "SAFE" or repeated or not self._wanted("verdict"):
            return []
        severity = Severity.CRITICAL if event.verdict == "HALT" else Severity.WARNING
        then = "trading is halted" if event.verdict == "HALT" else "no new orders until a person acknowledges it"
        text = "; ".join(event.reasons) + f" ({then}, on the dashboard)"
        return [self._note("verdict", f"Reconciliation {event.verdict}", text, now, severity, run=str(event.run_id))]

    def _on_health(self, health: HealthSnapshot, now: datetime) -> list[Notification]:
        state = health.state.value
        if state in DOWN_STATES and state != "stopped":
            if self._down_since is None:
                self._down_since = health.since
            self._down_state, self._down_reason = state, health.reason
            return []
        since, alerted = self._down_since, self._down_alerted
        self._down_since, self._down_alerted = None, False
        if since is None or not alerted or not self._wanted("disconnect") or state == "stopped":
            return []
        text = f"connection {state} after {_minutes(now - since)} down"
        return [self._note("disconnect", "Reconnected", text, now, Severity.INFO)]

    # --- time ----------------------------------------------------------------------------------------------

    def tick(self, now: datetime, snapshot: Snapshot | None = None) -> list[Notification]:
        notes = self._check_down(now)
        if snapshot is not None:
            notes += self._check_summary(now, snapshot)
        return notes

    def _check_down(self, now: datetime) -> list[Notification]:
        since = self._down_since
        if since is None or self._down_alerted or not self._wanted("disconnect"):
            return []
        notes = []
        start = since
        period = in_reset_window(since, self._windows)
        if period is not None:
            start = max(since, period.end)  # a reset is expected: count from its end
            if needs_manual_login(period) and now >= period.end and period.start not in self._relogin_sent:
                # still down when the restart should be over, and it is the one after Sunday's invalidation
                self._relogin_sent.add(period.start)
                notes.append(self._note("disconnect", "IB Gateway re-login needed", RELOGIN, now, Severity.CRITICAL,
                                        window=period.window.name))  # fmt: skip
        if now - start >= timedelta(seconds=self.settings.disconnect_after):
            self._down_alerted = True
            reason = f": {self._down_reason}" if self._down_reason else ""
            text = f"connection {self._down_state} for {_minutes(now - since)}{reason}"
            notes.append(self._note("disconnect", "Disconnected", text, now, Severity.CRITICAL))
        return notes

    def _check_summary(self, now: datetime, snapshot: Snapshot) -> list[Notification]:
        at = self.settings.daily_summary
        local = now.astimezone(self._zone)
        if at is None or local.time() < at or self._summarised == local.date():
            return []
        self._summarised = local.date()
        day, self._day = self._day, _Day()
        if not self._wanted("daily_summary"):
            return []
        pnl = snapshot.pnl
        fields = {
            "fills": str(day.fills), "orders sent": str(day.orders), "rejects": str(day.rejects),
            "risk refusals": str(day.refusals), "realized": f"{pnl.realized:.2f}",
            "unrealized": f"{pnl.unrealized:.2f}", "daily PnL": f"{pnl.daily:.2f}",
            "positions": str(len(snapshot.positions)), "working orders": str(len(snapshot.working)),
            "risk mode": snapshot.risk.mode, "last verdict": snapshot.verdict.verdict or "none",
        }  # fmt: skip
        if pnl.equity is not None:
            fields["equity"] = f"{pnl.equity:.2f}"
        title = f"Daily summary {local.date().isoformat()}" + (f" ({snapshot.label})" if snapshot.label else "")
        return [self._note("daily_summary", title, "", now, Severity.INFO, **fields)]
