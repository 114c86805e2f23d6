"""Operations around one running bot: the composition root of the monitor, the audit trail, the alerts and the
notification dispatcher, attached to a `TradingSession` and its `OrderService`.

    ops = Operations(session, service, data_dir=data_dir, notify=notify_settings(config.get("notify")))
    await service.start()                      # attach first: the start-up reconciliation is audited too
    await ops.start()
    server = await ibbot.web.serve(ops.monitor, host="127.0.0.1", port=8080, token=ops.token().value)
    ...
    await server.stop(); await ops.close()

Attaching wraps the service's journal and gate (`ibbot.ops.decisions`), so every decision of the order path is
seen; listens to the session's events and the service's orders and fills; and hands every event to the audit
trail, the monitor and the alerts. One background task does what takes time: an equity point and the message
rate every `sample_every` seconds, the status file every `status_every`, the alerts' clock every second.
Nothing here can block or fail the order path: observers' errors are logged, notifications are queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ibbot.clock import Clock
from ibbot.model import Fill, Order, Quote
from ibbot.notify import Dispatcher, Notification, Notifier, NotifySettings
from ibbot.ops.alerts import Alerts
from ibbot.ops.audit import AUDIT_FILE_NAME, AuditTrail
from ibbot.ops.controls import Controls
from ibbot.ops.decisions import AuditedGate, AuditedJournal, Decision
from ibbot.ops.monitor import Monitor
from ibbot.ops.token import DashboardToken, dashboard_token
from ibbot.ops.watch import STATUS_FILE_NAME, write_status

log = logging.getLogger(__name__)


def _label(session: Any) -> str:
    try:
        target = session.settings.connection.target
    except AttributeError:
        return ""
    return (
        target.name
        if target.embedded or target.name == f"{target.host}:{target.port}"
        else (f"{target.name} {target.host}:{target.port}")
    )


class Operations:
    def __init__(
        self,
        session: Any,  # a TradingSession
        service: Any,  # its OrderService
        *,
        data_dir: Path,
        clock: Clock | None = None,
        notify: NotifySettings | None = None,
        notifiers: Sequence[Notifier] | None = None,  # instead of the channels `notify` configures
        quotes: Callable[[], Mapping[str, Quote]] = dict,
        label: str = "",
        audit_fsync: bool = False,
        sample_every: float = 5.0,
        status_every: float = 2.0,
    ) -> None:
        self.session = session
        self.service = service
        self.data_dir = data_dir
        self.clock: Clock = clock or session.clock
        self.settings = notify or NotifySettings()
        self.sample_every = sample_every
        self.status_every = status_every
        data_dir.mkdir(parents=True, exist_ok=True)
        self.audit = AuditTrail(data_dir / AUDIT_FILE_NAME, self.clock, fsync=audit_fsync)
        self.monitor = Monitor(self.clock, session=session, service=service, quotes=quotes,
                               label=label or _label(session))  # fmt: skip
        windows = getattr(getattr(getattr(session, "settings", None), "connection", None), "reset_windows", ())
        self.alerts = Alerts(self.settings, self.clock.now(), reset_windows=tuple(windows))
        channels = list(notifiers) if notifiers is not None else self.settings.notifiers()
        self.dispatcher = Dispatcher(channels, capacity=self.settings.queue, retry=self.settings.retry)
        self.controls = Controls(service, self.clock, self.on_decision)
        self.monitor.controls = self.controls
        self.notifications: list[Notification] = []  # the latest sent, for the dashboard's log and tests
        service.journal = AuditedJournal(service.journal, self.on_decision)
        service.gate = AuditedGate(service.gate, self.on_decision)
        self._unlisten = [session.add_listener(self.on_session_event), service.add_listener(self)]
        self._task: asyncio.Task[None] | None = None

    def token(self) -> DashboardToken:
        """The dashboard's token for this data directory (created on first use: show it once)."""
        return dashboard_token(self.data_dir)

    # --- the events, to everyone who wants them ------------------------------------------------------------

    def _publish(self, notes: list[Notification]) -> None:
        for note in notes:
            self.notifications = [*self.notifications[-99:], note]
            self.dispatcher.publish(note)

    def _guarded(self, what: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # an observer's bug must never reach the order path
            log.exception("operations: %s failed", what)

    def on_decision(self, decision: Decision) -> None:
        self.audit.record(decision)
        self._guarded("the monitor", lambda: self.monitor.on_event(decision))
        self._guarded("the alerts", lambda: self._publish(self.alerts.on_event(decision, self.clock.now())))

    def on_session_event(self, event: object) -> None:
        self._guarded("the monitor", lambda: self.monitor.on_event(event))
        self._guarded("the alerts", lambda: self._publish(self.alerts.on_event(event, self.clock.now())))

    def on_order(self, order: Order) -> None:
        self._guarded("the monitor", lambda: self.monitor.on_order(order))

    def on_fill(self, fill: Fill) -> None:
        self._guarded("the monitor", lambda: self.monitor.on_fill(fill))
        self._guarded("the alerts", lambda: self._publish(self.alerts.on_fill(fill, self.clock.now())))

    # --- the background task -------------------------------------------------------------------------------

    async def start(self) -> None:
        self.dispatcher.start()
        self.monitor.sample()
        self._write_status()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ibbot-operations")

    async def _run(self) -> None:
        last_sample = last_status = self.clock.monotonic()
        while True:
            await asyncio.sleep(min(1.0, self.sample_every, self.status_every))
            mono = self.clock.monotonic()
            if mono - last_sample >= self.sample_every:
                last_sample = mono
                self._guarded("sampling", self.monitor.sample)
            self._guarded("the alerts", self._tick)
            if mono - last_status >= self.status_every:
                last_status = mono
                self._write_status()

    def _tick(self) -> None:
        self._publish(self.alerts.tick(self.clock.now(), self.monitor.snapshot()))

    def _write_status(self) -> None:
        try:
            write_status(self.data_dir / STATUS_FILE_NAME, self.monitor.snapshot())
        except OSError as exc:
            log.warning("cannot write the status file in %s: %s", self.data_dir, exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._write_status()
        for unlisten in self._unlisten:
            unlisten()
        await self.dispatcher.close()
        self.audit.close()
