"""The backtest driver: bars in time order through the fill model, the strategy and the books, as fast as it goes.

Theory of operation
-------------------
Every series is a set of numpy columns (`ibbot.backtest.data`); the rows of all series are merged by time
once, then walked a chunk (65,536 rows) at a time as plain Python lists, so the hot loop indexes lists and
never touches numpy scalars. For each row:

1. if orders are working on the instrument, the bar's quotes go to the fill engine (`fill_model`) at the
   bar's start;
2. the float mirror of the positions' value moves to the close (one multiply, when something is held);
3. the clock moves to the bar's end: the order and fill news of step 1 are delivered to the strategy, then,
   if it subscribed to the series, a `Bar` is built (the fast frozen constructor) and delivered to `on_bar`,
   then the news its orders caused;
4. the equity (cash + positions at their closes) is appended to the curve (8 bytes a bar).

Nothing else happens per bar: no Decimal, no datetime unless someone asks for `now`, no risk context unless
an order is placed. A strategy that raises is stopped by its `StrategyHost` (on_stop, then its working orders
cancelled, kept or flattened); the market goes on, without the strategy, while orders it left still work.
"""

from __future__ import annotations

import gc
import logging
import math
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from ibbot.backtest.data import BarSeries, micros_to_datetime
from ibbot.backtest.engine import BacktestEngine, Listing
from ibbot.backtest.fill_model import decimal, levels, path, touch_quote, turn_quote
from ibbot.backtest.results import BacktestResult, summarize
from ibbot.errors import StrategyError
from ibbot.model import Bar, Quote
from ibbot.protocol.types import fast_constructor
from ibbot.risk import RiskLimits
from ibbot.strategy.base import Strategy
from ibbot.strategy.context import Execution, WorkingOrders
from ibbot.strategy.host import StrategyHost

log = logging.getLogger(__name__)

CHUNK = 65_536
_DAY_US = 86_400_000_000
_build_bar = fast_constructor(Bar)
Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestSettings:
    cash: Decimal = Decimal(100_000)
    currency: str = "USD"
    account: str = "BACKTEST"
    spread: Decimal | None = None  # the full spread in price units; None: one minimum tick
    volume_share: float = 1.0  # the share of a bar's volume orders may take (fill_model)
    limits: RiskLimits = field(default_factory=lambda: RiskLimits(allow_outside_hours=True))
    working_orders: WorkingOrders = WorkingOrders.CANCEL
    seed: int = 1  # order refs' random part


class Backtest:
    """One strategy over one or more series (module doc); `run()` returns the `BacktestResult`."""

    def __init__(
        self,
        strategy: Strategy,
        data: BarSeries | Sequence[BarSeries],
        settings: BacktestSettings | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.strategy = strategy
        self.series = [data] if isinstance(data, BarSeries) else list(data)
        if not self.series or not any(len(s) for s in self.series):
            raise StrategyError("the backtest has no bars")
        self.settings = settings or BacktestSettings()
        self.progress = progress
        first = min(int(s.times[0]) for s in self.series if len(s))
        self.engine = BacktestEngine(
            strategy_name=strategy.name, cash=self.settings.cash, currency=self.settings.currency,
            account=self.settings.account, limits=self.settings.limits, spread=self.settings.spread,
            seed=self.settings.seed, start=micros_to_datetime(first),
        )  # fmt: skip
        for series in self.series:
            if series.instrument is not None:
                self.engine.known.setdefault(series.instrument.key, series.instrument)
                self.engine.known.setdefault(series.instrument.symbol, series.instrument)
        self.host = StrategyHost(strategy, self.engine, working_orders=self.settings.working_orders)
        self._hook = ""
        self._times = np.zeros(0, dtype=np.int64)
        self._equity = array("d")
        self._exposed = 0

    # --- setting up --------------------------------------------------------------------------------------

    def _attach(self) -> list[Listing]:
        """Each series to the strategy's instrument it is for; every bar subscription must have its series."""
        listings = list(self.engine.listings.values())
        attached: list[Listing] = []
        for series in self.series:
            listing = self._listing_for(series, listings)
            if listing is None:
                continue
            if listing.series is not None:
                raise StrategyError(f"two series of bars for {listing.instrument}")
            if listing.bars is not None and listing.bars.seconds != series.bar_size.seconds:
                raise StrategyError(
                    f"{self.strategy.name} subscribes to {listing.bars} bars of {listing.instrument}, "
                    f"but the data has {series.bar_size} bars"
                )
            listing.series, listing.bar_size = series, series.bar_size
            listing.bar_us, listing.bar_text = series.bar_size.seconds * 1_000_000, series.bar_size.text
            attached.append(listing)
        if not attached:
            raise StrategyError(
                f"{self.strategy.name} declares no instrument the bars are for: call self.instrument(...) and "
                "self.subscribe_bars(...) in on_start"
            )
        missing = [str(x.instrument) for x in listings if x.bars is not None and x.series is None]
        if missing:
            have = ", ".join(str(s.instrument) for s in self.series if s.instrument is not None) or "unnamed bars"
            raise StrategyError(f"no bars for {', '.join(missing)} (the data has {have})")
        return attached

    def _listing_for(self, series: BarSeries, listings: list[Listing]) -> Listing | None:
        if series.instrument is None:
            if len(listings) == 1 and len(self.series) == 1:
                return listings[0]
            if not listings:
                return None
            raise StrategyError(
                f"the bars of {series.source} name no instrument and the strategy declares {len(listings)}"
            )
        named = series.instrument
        for listing in listings:
            if listing.instrument.key == named.key:
                return listing
        same = [x for x in listings if x.instrument.symbol == named.symbol]
        return same[0] if len(same) == 1 else None

    # --- running -----------------------------------------------------------------------------------------------

    def run(self) -> BacktestResult:
        started = time.perf_counter()
        self.host.start()
        self._deliver()
        attached = self._attach() if self.host.running else []
        if attached:
            with _collector_paused():
                self._walk(attached)
        self.host.stop()
        self.engine.pending.clear()
        elapsed = time.perf_counter() - started
        with _collector_paused():  # the trades and the figures: tens of thousands of objects again
            return summarize(
                engine=self.engine,
                strategy=self.strategy,
                failure=self.host.failure,
                equity=self.equity.copy(),
                starts=self._times[: len(self._equity)],
                ends=self.bar_ends,
                exposed_rows=self._exposed,
                elapsed=elapsed,
            )

    def _walk(self, listings: list[Listing]) -> None:
        parts = [(listing, listing.series) for listing in listings]
        times = np.concatenate([s.times for _, s in parts if isinstance(s, BarSeries)])
        sids = np.concatenate(
            [np.full(len(s), listing.index, dtype=np.int64) for listing, s in parts if isinstance(s, BarSeries)]
        )
        rows = np.concatenate([np.arange(len(s), dtype=np.int64) for _, s in parts if isinstance(s, BarSeries)])
        if len(parts) > 1:
            order = np.lexsort((sids, times))
            times, sids, rows = times[order], sids[order], rows[order]
        self._times = times
        by_index = {listing.index: listing for listing in listings}
        total = int(times.shape[0])
        start = 0
        while start < total:
            start = self._run_from(start, total, sids, rows, by_index)

    def _run_from(
        self, start: int, total: int, sids: np.ndarray, rows: np.ndarray, by_index: dict[int, Listing]
    ) -> int:
        """Rows from `start` on; returns where it stopped (the end, or after a row whose hook raised)."""
        try:
            for first in range(start, total, CHUNK):
                last = min(first + CHUNK, total)
                self._chunk(first, last, sids, rows, by_index)
                gc.collect(0)  # the chunk's young objects only: a cycle made per bar is freed here
                if self.progress is not None:
                    self.progress(last, total)
        except _HookError as failed:
            self.host.fail(failed.hook, failed.error)
            self._deliver()
            self._equity.append(self.engine.cash + self.engine.marked)  # the row the hook failed in
            if self.engine.open_positions:
                self._exposed += 1
            return failed.row + 1
        return total

    def _chunk(self, first: int, last: int, sids: np.ndarray, rows: np.ndarray, by_index: dict[int, Listing]) -> None:
        """Rows [first, last) as plain lists; the loop body is the module doc's four steps, in one place."""
        engine = self.engine
        append_equity = self._equity.append
        running = self.host.running
        on_bar = self.strategy.on_bar
        pending = engine.pending
        stamps = self._times[first:last]
        seconds = (stamps // 1_000_000).tolist()
        micros = stamps.tolist()
        columns = {}
        for index, listing in by_index.items():
            series = listing.series
            assert isinstance(series, BarSeries)
            picked = rows[first:last][sids[first:last] == index]
            columns[index] = (
                series.open[picked].tolist(), series.high[picked].tolist(), series.low[picked].tolist(),
                series.close[picked].tolist(), series.volume[picked].tolist(), picked.tolist(),
            )  # fmt: skip
        single = len(by_index) == 1
        sid_list = sids[first:last].tolist() if not single else []
        cursor = dict.fromkeys(by_index, 0)
        listing = next(iter(by_index.values()))
        opens, highs, lows, closes, volumes, row_ids = columns[listing.index]
        next_day = (micros[0] // _DAY_US + 1) * _DAY_US
        fromtimestamp = datetime.fromtimestamp
        utc = UTC
        nan = math.nan
        # A bar's time is the last one's plus the bar length when the rows are that far apart (nearly always):
        # one datetime addition (exact in UTC) instead of a conversion from the epoch.
        step_s = min(x.bar_us for x in by_index.values()) // 1_000_000
        step = timedelta(seconds=step_s)
        when_s, when = -(1 << 62), fromtimestamp(0, utc)
        for k in range(last - first):
            if single:
                j = k
            else:
                listing = by_index[sid_list[k]]
                j = cursor[listing.index]
                cursor[listing.index] = j + 1
                opens, highs, lows, closes, volumes, row_ids = columns[listing.index]
            close = closes[j]
            t = micros[k]
            if t >= next_day:
                next_day = (t // _DAY_US + 1) * _DAY_US
                engine.day_start_equity = engine.cash + engine.marked
            if listing.working:
                engine.now_us = t
                self._fill_bar(listing, (opens[j], highs[j], lows[j], close, volumes[j]))
            if listing.position:
                engine.marked += listing.position * (close - listing.last) * listing.multiplier
            listing.last = close
            listing.row = row_ids[j]
            engine.now_us = t + listing.bar_us
            if running:
                if pending:  # the news of the fills at this bar, at its end (hooks act at bar ends)
                    self._deliver_or_raise(first + k)
                if listing.bars is not None:
                    if seconds[k] != when_s:
                        when = when + step if seconds[k] - when_s == step_s else fromtimestamp(seconds[k], utc)
                        when_s = seconds[k]
                    bar = _build_bar(
                        instrument=listing.instrument, time=when, open=opens[j],
                        high=highs[j], low=lows[j], close=close, volume=volumes[j], wap=nan, count=0,
                        bar_size=listing.bar_text,
                    )  # fmt: skip
                    listing.history.append(bar)
                    try:
                        on_bar(bar)
                    except Exception as exc:
                        raise _HookError("on_bar", exc, first + k) from exc
                    if pending:
                        self._deliver_or_raise(first + k)
                if listing.quotes:
                    self._quote(listing, close, volumes[j], first + k)
            append_equity(engine.cash + engine.marked)
            if engine.open_positions:
                self._exposed += 1

    def _quote(self, listing: Listing, close: float, volume: float, row: int) -> None:
        """A quote at the bar's close for a strategy that subscribed to quotes."""
        half = listing.half_float
        quote = Quote(instrument=listing.instrument, time=self.engine.now(), bid=close - half, ask=close + half,
                      last=close, volume=volume, close=close)  # fmt: skip
        try:
            self.strategy.on_quote(quote)
        except Exception as exc:
            raise _HookError("on_quote", exc, row) from exc
        if self.engine.pending:
            self._deliver_or_raise(row)

    def _fill_bar(self, listing: Listing, bar: tuple[float, float, float, float, float]) -> None:
        """The bar's quotes to the fill engine (fill_model), while orders still work on the instrument."""
        open_, high, low, close, volume = bar
        engine = self.engine
        fills = engine.fills
        now = engine.now()
        con_id = listing.con_id
        half = listing.half
        share = self.settings.volume_share
        left = decimal(round(volume * share, 6)) if volume > 0 and share > 0 else None
        price = decimal(open_)
        outcome = fills.on_quote(con_id, touch_quote(price, half, left), now)
        engine.apply(outcome)
        if not listing.working:
            return  # all filled at the open (every market order): no path to walk
        left = _less(left, outcome)
        start = price
        for turn in path(open_, high, low, close):
            if not listing.working:
                return
            end = decimal(turn)
            views = [v for v in (fills.matching.order(o.order_id) for o in engine.working.values()) if v is not None]
            for level in levels(views, start, end):
                if not listing.working:
                    return
                outcome = fills.on_quote(con_id, touch_quote(level, half, left), now)
                engine.apply(outcome)
                left = _less(left, outcome)
            engine.apply(fills.on_quote(con_id, turn_quote(end), now))
            start = end

    def _deliver_or_raise(self, row: int) -> None:
        try:
            self._deliver()
        except _HookError as failed:
            raise _HookError(failed.hook, failed.error, row) from failed.error

    def _deliver(self) -> None:
        """Order and fill news to the strategy's hooks, including what those hooks cause, until none is left."""
        pending = self.engine.pending
        strategy = self.strategy
        while pending:
            hook, value = pending.popleft()
            if not self.host.running:
                continue
            try:
                if hook == "on_fill":
                    assert isinstance(value, Execution)
                    strategy.on_fill(value)
                else:
                    strategy.on_order(value)  # type: ignore[arg-type]
            except Exception as exc:
                raise _HookError(hook, exc, -1) from exc

    # --- what the result reads -----------------------------------------------------------------------------

    @property
    def equity(self) -> np.ndarray:
        return np.frombuffer(self._equity, dtype=np.float64) if len(self._equity) else np.zeros(0)

    @property
    def bar_ends(self) -> np.ndarray:
        """Microseconds of each row's bar end (the times of the equity curve)."""
        if not len(self._equity):
            return np.zeros(0, dtype=np.int64)
        seconds = {x.index: x.bar_size.seconds for x in self.engine.listings.values() if x.bar_size is not None}
        step = max(seconds.values(), default=60) * 1_000_000
        return self._times[: len(self._equity)] + step

    @property
    def exposed_rows(self) -> int:
        return self._exposed


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector's automatic runs paused: they cost the walk 10-15 % (each scans the young
    objects, and a run allocates several per bar), and the loop's own objects are freed by reference counting
    anyway. What existed before is frozen out of the scans, and the walk collects the young generation after
    each chunk, freeing the cycles a strategy makes as it goes, so memory stays bounded."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


class _HookError(Exception):
    def __init__(self, hook: str, error: BaseException, row: int) -> None:
        super().__init__(hook)
        self.hook = hook
        self.error = error
        self.row = row


def _less(left: Decimal | None, outcome: object) -> Decimal | None:
    """The bar's volume left after the fills that took the touch in `outcome`."""
    if left is None:
        return None
    fills = getattr(outcome, "fills", ())
    taken = sum((f.quantity for f in fills if f.liquidity == 2), Decimal(0))
    return max(left - taken, Decimal(0)) if taken else left


def run_backtest(
    strategy: Strategy,
    data: BarSeries | Sequence[BarSeries],
    settings: BacktestSettings | None = None,
    *,
    progress: Progress | None = None,
) -> BacktestResult:
    return Backtest(strategy, data, settings, progress=progress).run()
