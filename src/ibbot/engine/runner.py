"""Running one strategy in paper or live mode: its hooks fed from a TradingSession's feeds and an OrderService.

    runner = StrategyRunner(session, service, strategy)
    result = await runner.run(stop=stop_event, duration=60)

Theory of operation
-------------------
* Start: a discovery pass runs `on_start` on a copy of the strategy bound to an inert context, to learn its
  instruments and qualify them first (an order placed in `on_start` is then gated with the instrument's hours).
  The real `on_start` registers instruments and subscriptions (`LiveContext`); the runner then qualifies every
  other instrument (the contract cache keeps restarts cheap) and opens the feeds: bars built from IB's 5-second bars
  (N-second and N-minute sizes up to an hour: each bar is delivered as soon as it is complete) or keepUpToDate
  history for larger ones, and quotes for every instrument (the risk gate values orders by them; `on_quote`
  sees them only if the strategy subscribed). Continuity keeps them alive across every reconnect.
* Events (bars, quotes, order changes, fills) go into one queue; a dispatcher delivers them one hook at a time
  while holding the order service's lock, so a hook never runs while a reconciliation or the kill switch does,
  and a hook's orders are created inside it and sent after it, in order. A fill reaches `on_fill` once (the
  order service keys fills by execId), with the order as it stands after it.
* A hook that raises stops the strategy (`StrategyHost`): `on_stop` runs, its working orders are handled as
  configured (cancel, keep, flatten), and `run` ends with the failure in its result. Every other strategy, the
  session and the journal go on.
* Stop: `stop` set (Ctrl-C, SIGTERM), `duration` over, or the strategy failed. The same clean path: `on_stop`,
  the working-order policy carried out and awaited (cancels confirmed, or the wait times out), feeds closed.
* The kill switch may be thrown from outside this process (`ibbot halt` writes it to the journal): the runner
  watches the journal's risk state and halts the order service when it changes (`watch_halt`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from ibbot.broker.base import StreamValue
from ibbot.engine.context import Discovery, LiveContext, Registered
from ibbot.engine.orders import OrderService
from ibbot.engine.session import TradingSession
from ibbot.model import AccountValue, Bar, BarSize, Fill, Order, Quote
from ibbot.risk import RISK_STATE_KEY, Mode, risk_state_from_text
from ibbot.strategy.base import Strategy
from ibbot.strategy.context import Execution, WorkingOrders
from ibbot.strategy.host import StrategyFailure, StrategyHost

log = logging.getLogger(__name__)

_AGGREGATED_UP_TO = 3600  # seconds: larger bars come from keepUpToDate history


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    strategy: str
    bars: int
    quotes: int
    orders: tuple[Order, ...]  # every order the strategy placed in this run, as it ended
    fills: tuple[Fill, ...]
    failure: StrategyFailure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


class StrategyRunner:
    def __init__(
        self,
        session: TradingSession,
        service: OrderService,
        strategy: Strategy,
        *,
        working_orders: WorkingOrders = WorkingOrders.CANCEL,
        quotes: dict[str, Quote] | None = None,
        stop_timeout: float = 10.0,
        halt_poll: float = 1.0,
        first_quote_wait: float = 5.0,
    ) -> None:
        self.session = session
        self.service = service
        self.strategy = strategy
        self.quotes = quotes if quotes is not None else {}  # by the qualified key: the risk gate's price band
        self._stop_timeout = stop_timeout
        self._halt_poll = halt_poll
        self._first_quote_wait = first_quote_wait
        self._quoting: set[str] = set()  # qualified keys with a quote feed open
        self._quoted = asyncio.Event()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self.context = LiveContext(service, session.clock, spawn=self._spawn)
        self.host = StrategyHost(strategy, self.context, working_orders=working_orders)
        self.fills: list[Fill] = []  # the strategy's fills in this run, in arrival order
        self.bars_seen = 0
        self.quotes_seen = 0
        self._listening: list[Callable[[], None]] = []

    # --- the run ---------------------------------------------------------------------------------------------

    async def run(self, *, stop: asyncio.Event | None = None, duration: float | None = None) -> RunResult:
        stop = stop or asyncio.Event()
        self._listening = [self.service.add_listener(self), self.session.add_listener(self._on_session_event)]
        self._seed_account()
        try:
            await self._discover()
            async with self.service.lock:
                started = self.host.start()
            if started:
                await self._open_feeds()
                await self._serve(stop, duration)
        finally:
            await self._finish()
        return RunResult(
            strategy=self.strategy.name,
            bars=self.bars_seen,
            quotes=self.quotes_seen,
            orders=tuple(self.context.order_for_strategy(o) for o in self._orders()),
            fills=tuple(self.fills),
            failure=self.host.failure,
        )

    async def _serve(self, stop: asyncio.Event, duration: float | None) -> None:
        dispatcher = asyncio.get_running_loop().create_task(self._dispatch(), name="ibbot-strategy")
        watcher = asyncio.get_running_loop().create_task(self.watch_halt(), name="ibbot-halt-watch")
        stopper = asyncio.get_running_loop().create_task(stop.wait())
        try:
            await asyncio.wait({dispatcher, stopper}, timeout=duration, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (dispatcher, watcher, stopper):
                task.cancel()
            await asyncio.gather(dispatcher, watcher, stopper, return_exceptions=True)

    async def _dispatch(self) -> None:
        while self.host.running:
            hook, value = await self._queue.get()
            async with self.service.lock:
                if hook == "on_bar":
                    entry, bar = value
                    entry.bars.append(bar)
                    self.bars_seen += 1
                    self.host.call("on_bar", bar)
                else:
                    self.host.call(hook, value)

    async def _finish(self) -> None:
        if self.host.running or not self.host.stopped:
            async with self.service.lock:
                self.host.stop()  # on_stop, then the working-order policy (cancels queued as tasks)
        await self._settle()
        for unlisten in self._listening:
            unlisten()
        for feed in list(self.session.feeds):
            with contextlib.suppress(Exception):  # the session may be gone already; nothing to give back then
                await self.session.feeds.close(feed)
        if self.host.failure is not None:
            log.error("%s stopped: %s", self.strategy.name, self.host.failure.describe(self.strategy.name))

    async def _settle(self) -> None:
        """Wait for the sends and cancels under way, then (briefly) for the cancels to be confirmed."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self.host.policy is WorkingOrders.KEEP:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._stop_timeout):
                while any(o.status.is_working and o.order_id for o in self._orders()):
                    self.service.changed.clear()
                    await self.service.changed.wait()

    def _orders(self) -> list[Order]:
        found = (self.service.order(ref) for ref in sorted(self.context.refs))
        return [o for o in found if o is not None]

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: an order request failed: %s", self.strategy.name, task.exception())

    # --- feeds -----------------------------------------------------------------------------------------------

    async def _discover(self) -> None:
        """Run `on_start` once on a copy bound to an inert context, to learn and qualify its instruments first."""
        discovery = Discovery(self.session.clock)
        try:
            probe = type(self.strategy)(self.strategy.params, name=self.strategy.name)
            probe.bind(discovery)
            probe.on_start()
        except Exception:  # the real on_start meets the same error (the host reports it), or qualifies late
            log.debug("the discovery pass of %s.on_start raised", self.strategy.name, exc_info=True)
        for instrument in discovery.instruments.values():
            entry = self.context.registered.setdefault(instrument.key, Registered(handle=instrument))
            self.context.qualified(entry, await self.session.contracts.qualify(instrument))
            await self._open_quotes(entry)
        # The risk gate bands and values on_start's orders by the quotes: give the first ones a moment to come.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._first_quote_wait):
                while any(e.qualified.key not in self.quotes for e in self.context.registered.values() if e.qualified):
                    await self._quoted.wait()
                    self._quoted.clear()

    async def _open_quotes(self, entry: Registered) -> None:
        if entry.qualified is None or entry.qualified.key in self._quoting:
            return
        self._quoting.add(entry.qualified.key)
        # Quotes for every instrument, asked for or not: the risk gate values orders and bands prices by them.
        await self.session.feeds.quotes(entry.qualified, callback=functools.partial(self._on_quote, entry))

    async def _open_feeds(self) -> None:
        for entry in list(self.context.registered.values()):
            qualified = entry.qualified or await self.session.contracts.qualify(entry.handle)
            self.context.qualified(entry, qualified)
            for size in entry.bar_sizes:
                await self._open_bars(entry, qualified, size)
            await self._open_quotes(entry)

    async def _open_bars(self, entry: Registered, qualified: Any, size: BarSize) -> None:
        def deliver(value: StreamValue) -> None:
            if isinstance(value, Bar):
                bar = replace(value, instrument=entry.handle)
                entry.mark = Decimal(str(bar.close))
                self._queue.put_nowait(("on_bar", (entry, bar)))

        if size.seconds % 5 == 0 and size.seconds <= _AGGREGATED_UP_TO:
            await self.session.feeds.realtime_bars(qualified, bar_size=size.text, callback=deliver)
        else:
            await self.session.feeds.bars(qualified, size.text, lookback=f"{size.seconds * 2} S", callback=deliver)

    def _on_quote(self, entry: Registered, value: StreamValue) -> None:
        if not isinstance(value, Quote):
            return
        if entry.qualified is not None and not (math.isnan(value.bid) and math.isnan(value.last)):
            self.quotes[entry.qualified.key] = value
            self._quoted.set()
        price = value.mid if math.isnan(value.last) else value.last  # NaN where IB has sent nothing yet
        if not math.isnan(price):
            entry.mark = Decimal(str(price))
        if entry.quotes:
            self.quotes_seen += 1
            self._queue.put_nowait(("on_quote", replace(value, instrument=entry.handle)))

    # --- order news (the OrderService's listener interface) ---------------------------------------------------

    def on_order(self, order: Order) -> None:
        if order.order_ref in self.context.refs:
            self._queue.put_nowait(("on_order", self.context.order_for_strategy(order)))

    def on_fill(self, fill: Fill) -> None:
        if fill.order_ref not in self.context.refs:
            return
        self.fills.append(fill)
        order = self.service.order(fill.order_ref)
        if order is not None:
            ours = Execution(fill=self.context.fill_for_strategy(fill), order=self.context.order_for_strategy(order))
            self._queue.put_nowait(("on_fill", ours))

    def _on_session_event(self, event: object) -> None:
        if isinstance(event, AccountValue):
            self.context.account_values[(event.tag, event.currency)] = event

    def _seed_account(self) -> None:
        for value in self.session.continuity.account_values:
            self.context.account_values[(value.tag, value.currency)] = value

    # --- the kill switch thrown from elsewhere ------------------------------------------------------------

    async def watch_halt(self) -> None:
        """Follow the journal's risk state (`ibbot halt` / `ibbot resume` in another process)."""
        journal = self.service.journal
        seen = journal.get_state(RISK_STATE_KEY)
        while True:
            await asyncio.sleep(self._halt_poll)
            now = journal.get_state(RISK_STATE_KEY)
            if now == seen or now is None:
                continue
            seen = now
            state = risk_state_from_text(now)
            if state.effective is Mode.HALTED and self.service.mode is not Mode.HALTED:
                log.warning("the kill switch was thrown from outside this process: halting")
                await self.service.halt(state.reason or "halted from outside", "ibbot halt")
            elif state.effective is not Mode.HALTED and self.service.mode is Mode.HALTED:
                log.warning("the kill switch was released from outside this process")
                self.service.set_risk_state(state)
