"""The request governor: every request of the framework waits here for IB's message rate, pacing and budgets.

Theory of operation
-------------------
* Message rate: `admit(priority, n)` takes n tokens of one `TokenBucket`. Waiters form a heap ordered by
  (priority, arrival); only the head may take tokens, so RISK (cancels, the kill switch) always goes before
  ORDER, DATA and HISTORY, FIFO within a priority. The head sleeps until its tokens are there; a new arrival
  of higher priority becomes the head and is served first. Tokens are taken in the same step as the
  admission returns, so a waiter cancelled while waiting never holds any.
* Historical requests: one dispatcher task (alive only while requests wait) scans the queue in arrival order
  and admits the first request the `HistoricalPacer` allows now that has an open slot. A request held by a
  per-key rule (identical, same series) lets later ones pass; one held by a shared limit (the 10-minute
  budget, a 162 back-off) stops the scan, so a heavy BID_ASK request is not starved by lighter ones. The
  dispatcher then waits for a HISTORY token, checks the pacer again and records the request at that instant,
  the moment it is sent. A 162 (`PacingViolationError`) backs off every historical request, doubling up to
  the cap, and retries up to `max_retries` times.
* Every call runs under a timeout and fails with `RequestTimeoutError` naming the request; time comes from
  the `Clock`'s `monotonic()`, waits are `asyncio.sleep` and events.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import math
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ibbot.clock import Clock
from ibbot.data.limits import GovernorLimits
from ibbot.data.pacing import HistoricalPacer, HistoricalRequest, LineBudget, LineHandle, LineKind, TokenBucket
from ibbot.errors import PacingViolationError, RequestTimeoutError

T = TypeVar("T")


class Priority(enum.IntEnum):
    """Lower goes first."""

    RISK = 0  # cancels, the kill switch, risk actions
    ORDER = 1
    DATA = 2
    HISTORY = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class GovernorStats:
    """A snapshot for metrics."""

    queued: Mapping[Priority, int]  # waiting for message-rate tokens
    historical_waiting: int  # waiting for pacing or a slot
    historical_open: int
    messages_admitted: int
    waits: int  # admissions that had to wait for tokens
    wait_total: float
    wait_max: float
    pacing_delays: int  # historical requests held back by pacing
    pacing_delay_total: float
    retries: int  # after 162
    timeouts: int
    refusals: int  # subscriptions refused by the line budget
    lines_in_use: Mapping[LineKind, int]


class _Waiter:
    __slots__ = ("event", "messages", "priority", "seq")

    def __init__(self, priority: Priority, seq: int, messages: int) -> None:
        self.priority = priority
        self.seq = seq
        self.messages = messages
        self.event = asyncio.Event()

    def __lt__(self, other: _Waiter) -> bool:
        return (self.priority, self.seq) < (other.priority, other.seq)


class _HistoryWaiter:
    __slots__ = ("enqueued", "future", "held", "request", "slot")

    def __init__(self, request: HistoricalRequest, slot: bool, enqueued: float) -> None:
        self.request = request
        self.slot = slot  # takes one of the open-request slots (not real-time bars)
        self.enqueued = enqueued
        self.held = False  # a pacing rule made it wait
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class HistoricalSlot:
    """One of the open historical requests IB allows; `close()` (idempotent) when the request has ended."""

    __slots__ = ("_governor",)

    def __init__(self, governor: Governor) -> None:
        self._governor: Governor | None = governor

    @property
    def closed(self) -> bool:
        return self._governor is None

    def close(self) -> None:
        governor, self._governor = self._governor, None
        if governor is not None:
            governor._close_slot()


class Governor:
    """One per IB session: `admit`, `request`, `historical(_stream)`, `subscribe`/`unsubscribe`, `lines`, `stats()`."""

    def __init__(self, limits: GovernorLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._bucket = TokenBucket(rate=limits.send_rate, capacity=limits.message_burst, now=clock.monotonic())
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self.pacer = HistoricalPacer(limits)
        self.lines = LineBudget(limits)
        self._history: list[_HistoryWaiter] = []
        self._history_changed = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._admitted = self._waits = self._pacing_delays = self._retries = self._timeouts = 0
        self._wait_total = self._wait_max = self._pacing_delay_total = 0.0

    # -- message rate ------------------------------------------------------------------------------------

    async def admit(self, priority: Priority, messages: int = 1) -> None:
        """Return when `messages` may be sent now; higher priority first, FIFO within one."""
        if not 1 <= messages <= self._bucket.capacity:
            raise ValueError(f"admit takes 1..{self._bucket.capacity} messages at once, got {messages}")
        start = self._clock.monotonic()
        if not self._queue and self._bucket.delay(messages, start) == 0:
            self._bucket.take(messages, start)
            self._admitted += messages
            return
        waiter = _Waiter(priority, next(self._seq), messages)
        heapq.heappush(self._queue, waiter)
        try:
            while True:
                if self._queue[0] is waiter:
                    now = self._clock.monotonic()
                    delay = self._bucket.delay(messages, now)
                    if delay == 0:
                        self._bucket.take(messages, now)
                        heapq.heappop(self._queue)
                        self._wake_head()
                        self._admitted += messages
                        self._count_wait(now - start)
                        return
                    await asyncio.sleep(delay)
                else:
                    waiter.event.clear()
                    await waiter.event.wait()  # set when this waiter becomes the head
        except BaseException:
            if waiter in self._queue:
                self._queue.remove(waiter)
                heapq.heapify(self._queue)
                self._wake_head()
            raise

    def _wake_head(self) -> None:
        if self._queue:
            self._queue[0].event.set()

    def _count_wait(self, seconds: float) -> None:
        self._waits += 1
        self._wait_total += seconds
        self._wait_max = max(self._wait_max, seconds)

    async def request(
        self, priority: Priority, call: Callable[[], Awaitable[T]], *, timeout: float | None = None,
        messages: int = 1, name: str = "request",
    ) -> T:  # fmt: skip
        """Admit `messages`, then await `call()` for at most `timeout` seconds (the limits' default)."""
        await self.admit(priority, messages)
        return await self._answer(call, self.limits.request_timeout if timeout is None else timeout, name)

    async def _answer(self, call: Callable[[], Awaitable[T]], timeout: float, name: str) -> T:
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                return await call()
        except TimeoutError as exc:
            if not scope.expired():
                raise  # the call's own timeout, not ours
            self._timeouts += 1
            raise RequestTimeoutError(f"{name}: no answer within {timeout:g} s") from exc

    # -- historical data ---------------------------------------------------------------------------------

    async def historical(
        self, request: HistoricalRequest, call: Callable[[], Awaitable[T]], *, timeout: float | None = None,
        max_wait: float | None = None,
    ) -> T:  # fmt: skip
        """Send `call()` when IB's pacing allows `request`, retrying after 162; `timeout` is per attempt.

        `max_wait` bounds the time in the queue (None: as long as pacing needs, e.g. minutes for a backfill).
        The request's slot is free again when the call returns or fails.
        """
        slot, value = await self._historical(request, call, timeout, max_wait)
        slot.close()
        return value

    async def historical_stream(
        self, request: HistoricalRequest, call: Callable[[], Awaitable[T]], *, timeout: float | None = None,
        max_wait: float | None = None,
    ) -> tuple[HistoricalSlot, T]:  # fmt: skip
        """As `historical`, for a keepUpToDate request: IB keeps it open until it is cancelled, so its slot
        stays taken until the caller closes the returned `HistoricalSlot` (after sending the cancel)."""
        return await self._historical(request, call, timeout, max_wait)

    async def _historical(
        self, request: HistoricalRequest, call: Callable[[], Awaitable[T]], timeout: float | None,
        max_wait: float | None,
    ) -> tuple[HistoricalSlot, T]:  # fmt: skip
        timeout = self.limits.historical_timeout if timeout is None else timeout
        backoff = self.limits.backoff_initial
        for attempt in itertools.count():
            # A retry goes back to the head of the queue: it has waited longest.
            await self._enter_historical(request, slot=True, max_wait=max_wait, first=attempt > 0)
            slot = HistoricalSlot(self)
            try:
                return slot, await self._answer(call, timeout, request.describe())
            except PacingViolationError:
                slot.close()
                if attempt >= self.limits.max_retries:
                    raise
                self._retries += 1
                self.pacer.back_off(self._clock.monotonic() + backoff)
                backoff = min(backoff * 2, self.limits.backoff_cap)
            except BaseException:
                slot.close()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _close_slot(self) -> None:
        self.pacer.close()
        self._notify_history()

    async def _enter_historical(
        self, request: HistoricalRequest, *, slot: bool, max_wait: float | None, first: bool = False
    ) -> None:
        """Wait until `request` is admitted: recorded by the pacer, a slot opened (if `slot`), a token taken."""
        waiter = _HistoryWaiter(request, slot, self._clock.monotonic())
        if first:
            self._history.insert(0, waiter)
        else:
            self._history.append(waiter)
        self._notify_history()
        try:
            async with asyncio.timeout(max_wait):
                try:
                    await waiter.future
                except BaseException:
                    self._abandon(waiter)
                    raise
        except TimeoutError as exc:
            raise RequestTimeoutError(f"{request.describe()}: not admitted within {max_wait:g} s") from exc

    def _abandon(self, waiter: _HistoryWaiter) -> None:
        """The waiting task was cancelled (or timed out); give back what it may already hold."""
        future = waiter.future
        if future.done() and not future.cancelled() and future.exception() is None:
            if waiter.slot:  # admitted in the same step as the cancellation: its slot is open
                self.pacer.close()
        elif waiter in self._history:
            self._history.remove(waiter)
        self._notify_history()

    def _notify_history(self) -> None:
        self._history_changed.set()
        if self._history and (self._dispatcher is None or self._dispatcher.done()):
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch(), name="governor-history")

    async def _dispatch(self) -> None:
        try:
            while self._history:
                self._history_changed.clear()
                chosen, wait = self._pick(self._clock.monotonic())
                if chosen is None:
                    await self._wait_for_change(wait)
                    continue
                await self.admit(Priority.HISTORY)
                now = self._clock.monotonic()
                allowed = self.pacer.delay(chosen.request, now) == 0 and (self.pacer.has_slot or not chosen.slot)
                if chosen.future.done() or not allowed:  # cancelled, or a back-off began, while we waited
                    self._bucket.give_back(1)
                    self._admitted -= 1
                    continue
                self.pacer.record(chosen.request, now)
                if chosen.slot:
                    self.pacer.open()
                if chosen.held:
                    self._pacing_delays += 1
                    self._pacing_delay_total += now - chosen.enqueued
                self._history.remove(chosen)
                chosen.future.set_result(None)
        except Exception as exc:  # a bug here must reach the callers, not die with the task
            waiting, self._history = self._history, []
            for waiter in waiting:
                if not waiter.future.done():
                    waiter.future.set_exception(exc)
            if not waiting:
                raise

    def _pick(self, now: float) -> tuple[_HistoryWaiter | None, float]:
        """The first waiter allowed now, else None and the seconds until one may be (inf: wait for a change)."""
        slot_free = self.pacer.has_slot
        soonest = math.inf
        for waiter in self._history:
            if waiter.future.done() or (waiter.slot and not slot_free):
                continue  # a closed slot notifies the dispatcher
            wait = self.pacer.wait(waiter.request, now)
            if wait.seconds <= 0:
                return waiter, 0.0
            waiter.held = True
            soonest = min(soonest, wait.seconds)
            if wait.shared:
                break
        return None, soonest

    async def _wait_for_change(self, seconds: float) -> None:
        """Until a request arrives or leaves, a slot closes, or `seconds` pass."""
        try:
            async with asyncio.timeout(None if math.isinf(seconds) else seconds):
                await self._history_changed.wait()
        except TimeoutError:
            pass  # the expected way out: the earliest pacing window has moved on

    # -- subscriptions -----------------------------------------------------------------------------------

    async def subscribe(
        self, kind: LineKind, key: Hashable, call: Callable[[], Awaitable[T]], *, timeout: float | None = None,
        priority: Priority = Priority.DATA,
    ) -> tuple[LineHandle, T]:  # fmt: skip
        """Take a unit of `kind`'s budget (or raise `MarketDataLimitError`), then send `call()` under `timeout`.

        A tick-by-tick request waits out IB's once-per-instrument rule; real-time bars also wait for their
        place in the 10-minute historical budget. Keep the handle and give it to `unsubscribe`.
        """
        timeout = self.limits.request_timeout if timeout is None else timeout
        while (delay := self.lines.delay(kind, key, self._clock.monotonic())) > 0:
            await asyncio.sleep(delay)
        handle = self.lines.acquire(kind, key, now=self._clock.monotonic())
        try:
            if kind is LineKind.REALTIME_BARS:
                bars = HistoricalRequest(
                    contract=key, exchange="", what_to_show="TRADES", bar_seconds=5, realtime_bars=True
                )
                await self._enter_historical(bars, slot=False, max_wait=None)
            else:
                await self.admit(priority)
            return handle, await self._answer(call, timeout, f"{kind.value} for {key!r}")
        except BaseException:
            self.lines.release(handle)
            raise

    async def unsubscribe(
        self, handle: LineHandle, send: Callable[[], None], *, priority: Priority = Priority.DATA
    ) -> None:
        """Admit the cancel message, `send()` it, and give the unit back."""
        await self.admit(priority)
        try:
            send()
        finally:
            self.lines.release(handle)

    # -- metrics -----------------------------------------------------------------------------------------

    def stats(self) -> GovernorStats:
        queued = dict.fromkeys(Priority, 0)
        for waiter in self._queue:
            queued[waiter.priority] += 1
        return GovernorStats(
            queued=queued,
            historical_waiting=sum(1 for w in self._history if not w.future.done()),
            historical_open=self.pacer.open_count,
            messages_admitted=self._admitted,
            waits=self._waits,
            wait_total=self._wait_total,
            wait_max=self._wait_max,
            pacing_delays=self._pacing_delays,
            pacing_delay_total=self._pacing_delay_total,
            retries=self._retries,
            timeouts=self._timeouts,
            refusals=self.lines.refusals,
            lines_in_use=self.lines.counts(),
        )
