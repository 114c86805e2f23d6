"""The connection supervisor: keeps one broker session alive for weeks (the asyncio shell over the pure cores).

Theory of operation
-------------------
* Start: connect with a timeout and wait for nextValidId (the broker does both); 326 moves to the next client
  id of the configured range; a refused or silent socket (the gateway not up yet) is retried with jittered
  exponential backoff until `startup_wait` runs out. Once connected, the managed accounts pass the live guard
  before anything else is sent: a refusal closes the session and raises `LiveGuardError`.
* Then the session is kept: a lost socket (a drop, the nightly restart) starts the one reconnect loop (a second
  loss while it runs changes nothing), which retries with backoff, on the same client id (its orders belong to
  it; a 326 right after a drop is TWS still closing the old socket) and then resynchronises. Inside a known
  reset window nothing is raised as an alarm: health says RESETTING.
* TWS's own notices drive the health table: 1100 (OFFLINE until 1101/1102), 1101 (data lost: resubscribe
  everything), 1102 (data kept: verify), the farm notices (2103-2108, 2119, 2157/2158), 10197 (a competing
  session: DEGRADED until data flows again). A farm that comes back after being down, and a competing session
  that lets go, resume the data on the same session (DATA_RESUMED: remake what IB ended, backfill the gap).
* A reconnect that found nothing listening first (refused: the gateway was restarting) is a RESTART, a
  reconnect that got straight through a SOCKET reconnect; a restart also reconciles positions.
* Every resync is delegated to the injected `resync(ReconnectClass)`, which returns the report the one
  `Resynced` event carries. Health changes are emitted as `HealthChanged`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from ibbot.broker.base import Broker, BrokerEvent, SessionInfo, Streamed
from ibbot.clock import Clock
from ibbot.connection.backoff import Backoff
from ibbot.connection.codes import Action, classify
from ibbot.connection.config import ConnectionSettings
from ibbot.connection.continuity import ReconnectClass, ResyncReport
from ibbot.connection.health import (
    FarmKind,
    FarmStatus,
    Health,
    HealthMachine,
    HealthSnapshot,
    Phase,
    Trigger,
    farm_report,
)
from ibbot.connection.resets import in_reset_window, needs_manual_login
from ibbot.connection.targets import check_accounts
from ibbot.errors import ClientIdInUseError, ConnectError, GatewayUnreachableError, LiveGuardError
from ibbot.model import LinkChange, LinkState, Notice

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthChanged:
    snapshot: HealthSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class Resynced:
    """The session is back where it was: subscriptions live, missed fills delivered, state refreshed."""

    report: ResyncReport


SupervisorEvent = HealthChanged | Resynced
Resync = Callable[[ReconnectClass], Awaitable[ResyncReport]]

_FARM_ACTIONS = frozenset(
    {Action.MARK_FARM_DOWN, Action.MARK_FARM_UP, Action.MARK_FARM_INACTIVE, Action.MARK_FARM_CONNECTING}
)


class Supervisor:
    def __init__(
        self,
        broker: Broker,
        settings: ConnectionSettings,
        *,
        host: str,
        port: int,
        clock: Clock,
        rng: random.Random,
        resync: Resync,
        on_lost: Callable[[bool], None] = lambda data_lost: None,
        on_silenced: Callable[[], None] = lambda: None,
        startup_wait: float | None = None,
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._host, self._port = host, port
        self._clock = clock
        self._backoff = Backoff(settings.backoff, rng)
        self._resync = resync
        self._on_lost = on_lost
        self._on_silenced = on_silenced
        self._startup_wait = startup_wait
        self._health = HealthMachine(clock.now())
        self._listeners: list[Callable[[SupervisorEvent], None]] = []
        self._client_id = settings.client_ids.initial
        self._session: SessionInfo | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._resyncing: asyncio.Task[None] | None = None
        self._stopping = False
        self._ready = asyncio.Event()
        self.reports: list[ResyncReport] = []
        self._unlisten = broker.add_listener(self._on_broker_event)

    # --- what others see ------------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[SupervisorEvent], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @property
    def health(self) -> HealthSnapshot:
        return self._health.snapshot()

    @property
    def session(self) -> SessionInfo | None:
        return self._session

    @property
    def client_id(self) -> int:
        return self._client_id

    async def wait_ready(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    def _emit(self, event: SupervisorEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one listener's bug must not stop the others or the supervisor
                log.exception("a supervisor listener raised on %s", type(event).__name__)

    def _apply(self, trigger: Trigger, reason: str = "", **kwargs: object) -> None:
        before = self._health.state
        now = self._clock.now()
        window = in_reset_window(now, self._settings.reset_windows)
        if (window is not None) != self._health.snapshot().in_reset_window:
            self._health.apply(Trigger.RESET_WINDOW_ENTERED if window else Trigger.RESET_WINDOW_LEFT, now)
        self._health.apply(trigger, now, reason=reason, **kwargs)  # type: ignore[arg-type]
        state = self._health.state
        if state is Health.READY:
            self._ready.set()
        else:
            self._ready.clear()
        if state is not before:
            alarming = state in (Health.DISCONNECTED, Health.DEGRADED, Health.OFFLINE, Health.HALTED)
            log.log(logging.WARNING if alarming else logging.INFO,
                    "health: %s -> %s %s", before.value, state.value, self._health.snapshot().reason)  # fmt: skip
            self._emit(HealthChanged(snapshot=self._health.snapshot()))

    # --- start and stop ---------------------------------------------------------------------------------------

    async def start(self) -> SessionInfo:
        """The first session: connected, guarded, synced. Raises ConnectError subclasses when it cannot be."""
        deadline = None if self._startup_wait is None else self._clock.monotonic() + self._startup_wait
        while True:
            try:
                info = await self._connect_once(first=True)
                break
            except (LiveGuardError, ClientIdInUseError):
                raise
            except ConnectError as exc:
                delay = self._backoff.next_delay()
                if deadline is not None and self._clock.monotonic() + delay > deadline:
                    raise
                log.warning("%s; retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
        await self._synced(ReconnectClass.SOCKET, first=True)
        return info

    async def stop(self) -> None:
        self._stopping = True
        for task in (self._reconnect, self._resyncing):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._unlisten()
        if self._broker.connected:
            await self._broker.disconnect()
        if self._health.phase is not Phase.STOPPED:
            self._apply(Trigger.STOP)

    async def _connect_once(self, *, first: bool) -> SessionInfo:
        self._apply(Trigger.CONNECT_STARTED)
        while True:
            try:
                info = await self._broker.connect(
                    self._host, self._port, self._client_id,
                    timeout=self._settings.connect_timeout, readonly=self._settings.read_only,
                )  # fmt: skip
                break
            except ClientIdInUseError as exc:
                if not first:  # right after a drop TWS may still hold our id: keep it, retry with backoff
                    self._apply(Trigger.CONNECT_FAILED, reason=str(exc))
                    raise ConnectError(str(exc)) from exc
                try:
                    self._client_id = self._settings.client_ids.next_after_conflict(self._client_id)
                except ClientIdInUseError:
                    self._apply(Trigger.CONNECT_FAILED, reason=str(exc))
                    self._apply(Trigger.HALT, reason=str(exc))
                    raise
                log.warning("client id in use (326); trying client id %d", self._client_id)
            except ConnectError as exc:
                self._apply(Trigger.CONNECT_FAILED, reason=str(exc))
                raise
        self._apply(Trigger.CONNECTED)
        target = self._settings.target
        try:
            check_accounts(info.accounts, live_requested=target.live, live_opt_in=self._settings.allow_live)
        except LiveGuardError as exc:
            await self._broker.disconnect()
            self._apply(Trigger.HALT, reason=str(exc))
            raise
        self._session = info
        return info

    async def _synced(self, reconnect: ReconnectClass, *, first: bool = False) -> None:
        report = await self._resync(reconnect)
        self.reports.append(report)
        self._backoff.reset()
        if self._health.phase is Phase.SYNCING:
            self._apply(Trigger.SYNCED)
        if not first:
            log.info(
                "resynced after %s in %.2f s: %d subscriptions, %d bars backfilled, %d fills recovered",
                reconnect.value, report.duration.total_seconds(), len(report.resubscribed), report.total_bars,
                report.fills_recovered,
            )  # fmt: skip
        self._emit(Resynced(report=report))

    # --- the broker's events ----------------------------------------------------------------------------------

    def _on_broker_event(self, event: BrokerEvent) -> None:
        if self._stopping:
            return
        if isinstance(event, LinkChange):
            if event.state is LinkState.DISCONNECTED and self._health.phase in (Phase.SYNCING, Phase.LIVE):
                self._lost(event.reason or "socket closed")
        elif isinstance(event, Notice):
            self._on_notice(event)
        elif isinstance(event, Streamed) and not event.history and self._health.snapshot().competing_session:
            self._apply(Trigger.COMPETING_SESSION_OFF)  # data flows again: the other session let go
            if self._health.phase is Phase.LIVE:
                self._start_resync(ReconnectClass.DATA_RESUMED)

    def _on_notice(self, notice: Notice) -> None:
        if self._health.phase not in (Phase.CONNECTING, Phase.SYNCING, Phase.LIVE):
            return
        code = classify(notice.code, notice.text)
        action = code.action
        if action is Action.CONNECTIVITY_LOST:
            self._apply(Trigger.CONNECTIVITY_LOST, reason=notice.text)
            self._on_silenced()
        elif action is Action.RESTORED_DATA_LOST:
            self._apply(Trigger.RESTORED_DATA_LOST)
            self._on_lost(True)
            self._start_resync(ReconnectClass.DATA_LOST)
        elif action is Action.RESTORED_DATA_KEPT:
            self._apply(Trigger.RESTORED_DATA_KEPT)
            self._start_resync(ReconnectClass.DATA_KEPT)
        elif action in _FARM_ACTIONS:
            farm = farm_report(notice.code, notice.text)
            if farm is not None:
                was = {f.name: f.status for f in self._health.snapshot().farms}.get(farm.name)
                self._apply(Trigger.FARM_CHANGED, farm=farm)
                if farm.kind is FarmKind.MARKET and farm.status is FarmStatus.DOWN:
                    self._on_silenced()
                if was is FarmStatus.DOWN and farm.status is FarmStatus.UP and self._health.phase is Phase.LIVE:
                    self._start_resync(ReconnectClass.DATA_RESUMED)
        elif action is Action.COMPETING_SESSION:
            if not self._health.snapshot().competing_session:
                self._on_silenced()
            self._apply(Trigger.COMPETING_SESSION_ON, reason=notice.text)

    def _lost(self, reason: str) -> None:
        self._apply(Trigger.SOCKET_LOST, reason=reason)
        self._session = None
        self._on_lost(True)
        if self._resyncing is not None and not self._resyncing.done():
            self._resyncing.cancel()  # its requests died with the socket; the reconnect resyncs anew
        if self._reconnect is None or self._reconnect.done():
            self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop(), name="ibbot-reconnect")

    def _start_resync(self, reconnect: ReconnectClass) -> None:
        if self._resyncing is not None and not self._resyncing.done():
            if reconnect in (ReconnectClass.DATA_KEPT, ReconnectClass.DATA_RESUMED):
                return  # a resync under way covers a verification; a resume waits for it (below)
            self._resyncing.cancel()
        self._resyncing = asyncio.get_running_loop().create_task(self._guarded_resync(reconnect), name="ibbot-resync")

    async def _guarded_resync(self, reconnect: ReconnectClass) -> None:
        try:
            await self._synced(reconnect)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("resync after %s failed; the session goes on", reconnect.value)

    async def _reconnect_loop(self) -> None:
        started = self._clock.now()
        reconnect = ReconnectClass.SOCKET
        relogin_told: set[datetime] = set()
        while not self._stopping:
            delay = self._backoff.next_delay()
            await asyncio.sleep(delay)
            try:
                await self._connect_once(first=False)
            except LiveGuardError:
                log.error("the account behind %s:%d changed and fails the live guard; stopped", self._host, self._port)
                return
            except ConnectError as exc:
                if isinstance(exc, GatewayUnreachableError):
                    reconnect = ReconnectClass.RESTART  # nothing listened: TWS / the gateway went away
                window = in_reset_window(self._clock.now(), self._settings.reset_windows)
                if window is not None and needs_manual_login(window) and window.start not in relogin_told:
                    relogin_told.add(window.start)
                    log.error(
                        "TWS / IB Gateway restarted after Sunday's token invalidation and needs a manual login "
                        "(with 2FA, unless IBC handles it); ibbot keeps retrying %s:%d until it is back",
                        self._host, self._port,
                    )  # fmt: skip
                level = logging.INFO if window is not None else logging.WARNING
                log.log(level, "reconnect to %s:%d failed (%s); next try after backoff", self._host, self._port, exc)
                continue
            gone = (self._clock.now() - started).total_seconds()
            log.info("reconnected to %s:%d after %.1f s", self._host, self._port, gone)
            try:
                await self._synced(reconnect)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("resync after the reconnect failed; the session goes on")
                if self._health.phase is Phase.SYNCING:
                    self._apply(Trigger.SYNCED, reason="resync incomplete")
            return
