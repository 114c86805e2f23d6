"""Watching a bot from outside its process: the status file it keeps, and a read-only view over its journal.

A running bot writes its `Snapshot` to `status.json` in its data directory every few seconds (`write_status`:
a temporary file renamed over the old one, so a reader never sees half of it). `ibbot web --data-dir DIR`
serves a `JournalView`: orders, fills, the verdict and the risk mode from the journal (the truth, whatever the
bot's state), and from the status file what only the bot knows (health, farms, the governor, the equity
series, its event log). A status file older than `stale_after` seconds means no bot is writing it: the view
says so (`stale`, health "unknown") and is not ready. The view has no controls: actions go through the bot's
own dashboard.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ibbot.clock import Clock
from ibbot.errors import RiskStateError
from ibbot.oms import PositionBook
from ibbot.ops.snapshot import (
    Counters,
    HealthView,
    PnLView,
    PositionView,
    RiskView,
    Snapshot,
    VerdictView,
    from_json,
    to_json,
)
from ibbot.ops.views import fill_view, summarize
from ibbot.risk import load_risk_state
from ibbot.store import Journal

log = logging.getLogger(__name__)

STATUS_FILE_NAME = "status.json"
_FILLS_SHOWN = 50


def write_status(path: Path, snapshot: Snapshot) -> None:
    """Replace `path` with the snapshot's JSON at once (write a temporary file, then rename it over)."""
    body = json.dumps({"written_at": snapshot.time.isoformat(), "pid": os.getpid(), "snapshot": to_json(snapshot)})
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(body, encoding="utf-8")
    os.replace(temporary, path)


def read_status(path: Path) -> tuple[Snapshot, datetime] | None:
    """The snapshot a bot wrote and when, or None (no file, or one that cannot be read: logged)."""
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return from_json(Snapshot, raw["snapshot"]), datetime.fromisoformat(raw["written_at"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("cannot read the bot's status file %s: %s", path, exc)
        return None


class JournalView:
    """A read-only `Snapshot` source over a journal and a data directory; `refresh()` re-reads both."""

    controls: Any = None

    def __init__(self, journal: Journal, data_dir: Path, clock: Clock, *, stale_after: float = 15.0) -> None:
        self.journal = journal
        self.status_path = data_dir / STATUS_FILE_NAME
        self.clock = clock
        self.stale_after = stale_after
        self._subscribers: list[Callable[[], None]] = []
        self._snapshot = Snapshot(time=clock.now(), source="watch", read_only=True, stale=True)
        self._seen: Any = None

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def refresh(self) -> Snapshot:
        now = self.clock.now()
        status = read_status(self.status_path)
        age = None if status is None else (now - status[1]).total_seconds()
        stale = age is None or age > self.stale_after
        bot = status[0] if status is not None else None
        self._snapshot = self._build(now, bot, stale, age)
        marker = (status[1] if status else None, self._snapshot.counters, self._snapshot.working, stale)
        if marker != self._seen:
            self._seen = marker
            for callback in list(self._subscribers):
                callback()
        return self._snapshot

    def _build(self, now: datetime, bot: Snapshot | None, stale: bool, age: float | None) -> Snapshot:
        journal = self.journal
        orders = journal.orders()
        fills = journal.fills()
        working, counts, rejects = summarize(orders)
        if bot is not None and not stale:
            health, positions, pnl = bot.health, bot.positions, bot.pnl
        else:
            why = "no status file" if age is None else f"the bot's status is {age:.0f} s old"
            health = HealthView(state="unknown", reason=f"{why}: is the bot running with this data directory?")
            positions, pnl = _from_fills(fills)
        return Snapshot(
            time=now, label=bot.label if bot else "", source="watch", read_only=True, stale=stale, health=health,
            governor=bot.governor if bot else Snapshot(time=now).governor, positions=positions, pnl=pnl,
            working=working, fills=tuple(fill_view(f) for f in reversed(fills[-_FILLS_SHOWN:])), risk=self._risk(),
            verdict=self._verdict(), log=bot.log if bot else (), equity=bot.equity if bot else (),
            equity_label=bot.equity_label if bot else "PnL (own fills)",
            counters=Counters(fills=len(fills), orders_by_status=counts, rejects=rejects,
                              risk_refusals=bot.counters.risk_refusals if bot else 0,
                              resyncs=bot.counters.resyncs if bot else 0,
                              roundtrip=bot.counters.roundtrip if bot else Counters().roundtrip),
        )  # fmt: skip

    def _verdict(self) -> VerdictView:
        last = self.journal.last_reconciliation()
        if last is None:
            return VerdictView()
        return VerdictView(verdict=last.verdict, time=last.time, reasons=last.reasons, run_id=last.run_id,
                           acknowledged_by=last.acknowledged_by)  # fmt: skip

    def _risk(self) -> RiskView:
        try:
            state = load_risk_state(self.journal)
        except (RiskStateError, ValueError):
            return RiskView(mode="unknown", reason="the journal's risk state cannot be read")
        if state is None:
            return RiskView()
        return RiskView(mode=state.effective.value, reason=state.reason or state.daily_loss_reason, who=state.who,
                        since=state.since, daily_loss_tripped=state.daily_loss_tripped)  # fmt: skip


def _from_fills(fills: list[Any]) -> tuple[tuple[PositionView, ...], PnLView]:
    """Positions and realized PnL from the journal's fills alone (no quotes: unrealized is unknown)."""
    book = PositionBook()
    for fill in fills:
        book.apply(fill)
    report = book.pnl({})
    positions = tuple(
        PositionView(account=p.account, symbol=str(p.instrument), key=p.instrument.key, quantity=p.quantity,
                     avg_cost=p.avg_cost)
        for p in book.positions()
    )  # fmt: skip
    return positions, PnLView(realized=report.total.realized, unmarked=report.unmarked)
